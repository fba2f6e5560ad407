// A bounded, steady UDP stream for the live-replacement tests, run inside a network namespace:
//   node udp-stream.mjs HOST PORT COUNT BATCH PAUSE_MS
// sends COUNT datagrams to HOST:PORT, BATCH at a time with PAUSE_MS between batches, waits for
// every send to complete and prints {"sent":N,"failed":M,"ms":T} as the last line.
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";

const [host, port, count, batch, pause] = process.argv.slice(2);
// TSBPF_CGROUP: join that cgroup (v2 directory) first, so cgroup_skb programs see this stream.
if (process.env.TSBPF_CGROUP) writeFileSync(`${process.env.TSBPF_CGROUP}/cgroup.procs`, String(process.pid));
const total = Number(count);
const per = Number(batch);
const gap = Number(pause);
const sock = dgram.createSocket("udp4");
const payload = Buffer.alloc(32, 0x5a);
let sent = 0;
let failed = 0;
let queued = 0;
const t0 = Date.now();

function burst() {
  const n = Math.min(per, total - queued);
  for (let i = 0; i < n; i++) {
    queued++;
    sock.send(payload, Number(port), host, (err) => {
      if (err) failed++;
      else sent++;
      if (sent + failed === total) {
        process.stdout.write(JSON.stringify({ sent, failed, ms: Date.now() - t0 }) + "\n");
        sock.close();
      }
    });
  }
  if (queued < total) setTimeout(burst, gap);
}
burst();
