// Preloaded into the Portkey gateway (node --import) so that it listens on 127.0.0.1 only: its start-server.js
// passes just a port to @hono/node-server, which would otherwise bind every interface.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
    return cb ? listen.call(this, args[0], '127.0.0.1', cb) : listen.call(this, args[0], '127.0.0.1');
  }
  if (args[0] && typeof args[0] === 'object' && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
