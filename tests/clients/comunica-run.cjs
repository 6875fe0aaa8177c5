// The Comunica side of the client matrix (tests/test_client_matrix.py): run query files against a
// SPARQL endpoint in one Node process. Usage: node comunica-run.cjs ENDPOINT OUTDIR Q.rq...
// Writes OUTDIR/<name>.json: {"vars": [...], "rows": [{var: term}]} | {"boolean": b} | {"quads": [...]},
// terms as {termType, value, datatype?, language?}. Prints "ok NAME" or "error NAME: message".
const fs = require("fs");
const path = require("path");
const { QueryEngine } = require("@comunica/query-sparql");

function term(t) {
  const o = { termType: t.termType, value: t.value };
  if (t.termType === "Literal") {
    o.language = t.language || undefined;
    o.datatype = t.language ? undefined : t.datatype.value;
  }
  return o;
}

async function main() {
  const [endpoint, outdir, ...files] = process.argv.slice(2);
  const engine = new QueryEngine();
  for (const f of files) {
    const name = path.basename(f).replace(/\.rq$/, "");
    try {
      const text = fs.readFileSync(f, "utf8");
      const res = await engine.query(text, { sources: [{ type: "sparql", value: endpoint }], lenient: false });
      let out;
      if (res.resultType === "bindings") {
        const meta = await res.metadata();
        const bindings = await (await res.execute()).toArray();
        const vars = meta.variables.map((v) => (v.variable || v).value);
        out = { vars, rows: bindings.map((b) => Object.fromEntries(vars.filter((v) => b.has(v)).map((v) => [v, term(b.get(v))]))) };
      } else if (res.resultType === "boolean") {
        out = { boolean: await res.execute() };
      } else {
        const quads = await (await res.execute()).toArray();
        out = { quads: quads.map((q) => [term(q.subject), term(q.predicate), term(q.object)]) };
      }
      fs.writeFileSync(path.join(outdir, name + ".json"), JSON.stringify(out));
      console.log("ok " + name);
    } catch (e) {
      console.log("error " + name + ": " + String(e && e.message || e).replace(/\n/g, " "));
    }
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(2); });
