// Debian's node in a FROM-scratch image: crypto (OpenSSL), zlib and Intl time zones (ICU).
const crypto = require("crypto");
const zlib = require("zlib");
const hash = crypto.createHash("sha256").update("scratch").digest("hex");
console.log("crypto:", hash.length === 64);
console.log("zlib:", zlib.gunzipSync(zlib.gzipSync("scratch")).toString() === "scratch");
const at = new Date(Date.UTC(2024, 6, 1, 12, 0, 0));
console.log("Intl:", new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Amsterdam", hour: "2-digit" }).format(at));
