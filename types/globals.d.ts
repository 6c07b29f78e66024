// What Lectern's pages get from the vendored scripts in static/vendor, for `tsc --checkJs` (see tsconfig.json).
import type { io as connect } from "socket.io-client";

declare global {
  interface Window {
    /** Socket.IO's client: static/vendor/socket.io/socket.io.min.js (4.8.1, as package.json pins its types). */
    io?: typeof connect;
  }
}

export {};
