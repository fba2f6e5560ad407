// V8 flags tsbpf's own processes run with, in one place: the start-up snapshot is built with them
// (build-snapshot.ts), bin/tsbpf passes them whenever it starts from the snapshot (node refuses a
// snapshot under other V8 flags: exit 14), and the watcher starts itself again with them when it
// was started without (build-watch.ts). A young generation of at least 16 MB: a watch rebuild
// allocates about 4 MB, and after a pause between saves V8's memory reducer shrank the young
// generation to 1 MB, so that the next rebuild ran four scavenges (measured: 4-9 ms of a rebuild).
// It costs a cold build nothing measurable (140 ms of CPU either way on the firewall example).
// --no-rehash-snapshot: V8 otherwise rehashes every string and table in the snapshot with a fresh
// seed at start-up; keeping the seed drawn when the snapshot was built (on the user's machine, by
// npm run prepare) saves about 10 ms of a cold build's 140 (bench/compile-time.md).
// Keep bin/tsbpf's copy of the list in step (test/startup.test.ts checks it).

export const V8_FLAGS: readonly string[] = ["--min-semi-space-size=16", "--no-rehash-snapshot"];
