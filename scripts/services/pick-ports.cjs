// Prints N distinct free 127.0.0.1 ports, space-separated: node pick-ports.cjs N
const net = require("net");
const n = Number(process.argv[2]), servers = [];
let ok = 0;
for (let i = 0; i < n; i++) {
  const s = net.createServer();
  s.on("error", (e) => { console.error(e.message); process.exit(1); });
  s.listen(0, "127.0.0.1", () => {
    servers.push(s);
    if (++ok === n) {
      console.log(servers.map((x) => x.address().port).join(" "));
      servers.forEach((x) => x.close());
    }
  });
}
