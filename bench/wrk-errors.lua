-- Print the first non-2xx answer of each wrk thread, so a benchmark never counts errors as throughput.
local seen = false
response = function(status, headers, body)
  if status >= 300 and not seen then
    seen = true
    io.write("ERROR " .. status .. " " .. string.gsub(string.sub(body, 1, 200), "\n", " ") .. "\n")
  end
end
