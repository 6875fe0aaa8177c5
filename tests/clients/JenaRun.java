// The Jena side of the client matrix (tests/test_client_matrix.py), one JVM for many checks.
// Run with the JDK's source launcher: java -cp <jena jars> tests/clients/JenaRun.java MODE ...
//   query OUTDIR UNION.ttl DATASET.nq Q.rq...   each query over the dump (default graph = the union,
//                                               FROM / FROM NAMED applied to the dump's graphs);
//                                               writes OUTDIR/<name>.srj or OUTDIR/<name>.nt
//   results FILE...                             reads SPARQL results files (.srj .srx .csv .tsv) as a
//                                               client would (NAME.ask.EXT as a boolean, others as a
//                                               SELECT); writes FILE.srj (JSON re-serialisation)
//   parse FILE...                               parses RDF files with RIOT (language by extension);
//                                               writes FILE.nq
// Prints one line per item: "ok NAME" or "error NAME: message".
import java.io.*;
import java.nio.file.*;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.*;
import org.apache.jena.riot.resultset.ResultSetLang;
import org.apache.jena.riot.system.StreamRDFWriter;
import org.apache.jena.riot.system.StreamRDF;
import org.apache.jena.sparql.core.DatasetDescription;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DynamicDatasets;
import org.apache.jena.sys.JenaSystem;

public class JenaRun {
    public static void main(String[] args) throws Exception {
        JenaSystem.init();
        String mode = args[0];
        if (mode.equals("query")) {
            Path out = Paths.get(args[1]);
            Dataset ds = DatasetFactory.create();
            RDFDataMgr.read(ds.getDefaultModel(), args[2]);
            RDFDataMgr.read(ds, args[3]);
            for (int i = 4; i < args.length; i++) {
                String f = args[i];
                String name = Paths.get(f).getFileName().toString().replaceAll("\\.rq$", "");
                try {
                    runQuery(ds, new String(Files.readAllBytes(Paths.get(f)), "UTF-8"), out, name);
                    System.out.println("ok " + name);
                } catch (Exception e) {
                    System.out.println("error " + name + ": " + String.valueOf(e).replace('\n', ' '));
                }
            }
        } else if (mode.equals("results")) {
            for (int i = 1; i < args.length; i++) {
                String f = args[i];
                try (InputStream in = new FileInputStream(f)) {
                    ByteArrayOutputStream os = new ByteArrayOutputStream();
                    Lang lang = f.endsWith(".csv") ? ResultSetLang.RS_CSV : f.endsWith(".tsv") ? ResultSetLang.RS_TSV
                        : f.endsWith(".srx") ? ResultSetLang.RS_XML : ResultSetLang.RS_JSON;
                    // a client knows what it asked: *.ask.* files are read as booleans
                    // Jena 4.5 reads no TSV boolean, not even its own ?_askResult table (readBoolean: "Not a
                    // boolean result"; TSVInput.booleanFromTSV hands Lang CSV to the TSV reader): TSV
                    // answers to ASK are read as the one-row table they are.
                    if (f.contains(".ask.") && lang != ResultSetLang.RS_TSV)
                        ResultSetFormatter.outputAsJSON(os, ResultSetMgr.readBoolean(in, lang));
                    else ResultSetFormatter.outputAsJSON(os, ResultSetFactory.copyResults(ResultSetMgr.read(in, lang)));
                    Files.write(Paths.get(f + ".srj"), os.toByteArray());
                    System.out.println("ok " + f);
                } catch (Exception e) {
                    System.out.println("error " + f + ": " + String.valueOf(e).replace('\n', ' '));
                }
            }
        } else if (mode.equals("parse")) {
            for (int i = 1; i < args.length; i++) {
                String f = args[i];
                try (OutputStream os = new FileOutputStream(f + ".nq")) {
                    StreamRDF sink = StreamRDFWriter.getWriterStream(os, RDFFormat.NQUADS);
                    sink.start();
                    Lang lang = RDFLanguages.filenameToLang(f.replaceAll("\\.gz$", ""));
                    // Debian 12's JSON-LD 1.1 reader has no Jakarta JSON implementation: use JSON-LD 1.0
                    if (f.endsWith(".jsonld")) lang = Lang.JSONLD10;
                    RDFParser.source(f).forceLang(lang).parse(sink);
                    sink.finish();
                    System.out.println("ok " + f);
                } catch (Exception e) {
                    System.out.println("error " + f + ": " + String.valueOf(e).replace('\n', ' '));
                }
            }
        }
    }

    static void runQuery(Dataset ds, String text, Path out, String name) throws IOException {
        Query q = QueryFactory.create(text, Syntax.syntaxSPARQL_11);
        Dataset target = ds;
        if (q.hasDatasetDescription()) {  // FROM / FROM NAMED name graphs of the dump, never fetched
            DatasetDescription desc = q.getDatasetDescription();
            DatasetGraph dyn = DynamicDatasets.dynamicDataset(desc, ds.asDatasetGraph(), false);
            target = DatasetFactory.wrap(dyn);
            q = q.cloneQuery();
            q.getGraphURIs().clear();
            q.getNamedGraphURIs().clear();
        }
        try (QueryExecution qe = QueryExecutionFactory.create(q, target)) {
            if (q.isSelectType()) {
                try (OutputStream os = Files.newOutputStream(out.resolve(name + ".srj"))) {
                    ResultSetFormatter.outputAsJSON(os, qe.execSelect());
                }
            } else if (q.isAskType()) {
                try (OutputStream os = Files.newOutputStream(out.resolve(name + ".srj"))) {
                    ResultSetFormatter.outputAsJSON(os, qe.execAsk());
                }
            } else {
                Model m = q.isConstructType() ? qe.execConstruct() : qe.execDescribe();
                try (OutputStream os = Files.newOutputStream(out.resolve(name + ".nt"))) {
                    RDFDataMgr.write(os, m, Lang.NTRIPLES);
                }
            }
        }
    }
}
