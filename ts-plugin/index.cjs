// tsserver loads plugins with require() and resolves "tsbpf/ts-plugin" without package exports,
// so this folder is the plugin's entry: a CommonJS shim over the ES module in dist/ (Node 20.19+
// and 22.12+ require() ES modules).
module.exports = require("../dist/compiler/tools/ts-plugin.js").default;
