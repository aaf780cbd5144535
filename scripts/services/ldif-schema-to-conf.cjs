// A cn=config LDIF schema in slapd.conf schema syntax, on stdout: node ldif-schema-to-conf.cjs FILE
const fs = require("fs");
const text = fs.readFileSync(process.argv[2], "utf8").replace(/\r\n/g, "\n");
const lines = [];
for (const l of text.split("\n")) {
  if (l.startsWith(" ") && lines.length) lines[lines.length - 1] += l.slice(1);
  else lines.push(l);
}
const map = { olcattributetypes: "attributetype", olcobjectclasses: "objectclass",
              olcobjectidentifier: "objectidentifier", olcldapsyntaxes: "ldapsyntax",
              olcditcontentrules: "ditcontentrule" };
const out = [];
for (const l of lines) {
  const m = /^([A-Za-z][\w-]*)(::?)\s*(.*)$/.exec(l);
  if (!m) continue;
  const key = map[m[1].toLowerCase()];
  if (!key) continue;
  let v = m[2] === "::" ? Buffer.from(m[3], "base64").toString("utf8") : m[3];
  v = v.replace(/^\{\d+\}/, "");
  out.push(key + " " + v);
}
if (!out.length) { console.error("no schema definitions in " + process.argv[2]); process.exit(1); }
process.stdout.write(out.join("\n") + "\n");
