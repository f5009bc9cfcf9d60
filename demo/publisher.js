'use strict';
// A publish-only MQTT 3.1.1 client on Node's own sockets, so that the simulator shipped in the
// package (`stream-ml-simulator`) needs nothing installed beside it: the package's only runtime
// dependencies are the maths libraries. It sends CONNECT, QoS 0 PUBLISH, PINGREQ and DISCONNECT,
// reads CONNACK and PINGRESP, and reconnects after a lost connection; nothing is queued while
// disconnected (a simulator's readings are worthless later). Its interface is the part of mqtt.js
// the simulator uses: `connected`, `publish(topic, payload, {retain})`, `end(force, opts, cb)` and
// the events `connect`, `error` and `close`.
const { EventEmitter } = require('node:events');
const net = require('node:net');
const tls = require('node:tls');

const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBLISH = 0x30;
const PINGREQ = 0xc0;
const DISCONNECT = 0xe0;
/** The largest remaining length MQTT can encode (four length bytes). */
const MAX_REMAINING = 268435455;

const CONNACK_ERRORS = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

function remainingLength(length) {
  if (length > MAX_REMAINING) throw new RangeError(`MQTT packet of ${length} bytes is too large`);
  const bytes = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function string(text) {
  const body = Buffer.from(text, 'utf8');
  if (body.length > 0xffff) throw new RangeError(`MQTT string of ${body.length} bytes is too long`);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([length, body]);
}

function packet(first, ...parts) {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

class Publisher extends EventEmitter {
  /**
   * @param {string} url `mqtt://[user:password@]host[:port]` or `mqtts://…` (TLS).
   * @param {object} [options]
   * @param {string} [options.clientId] default `stream-ml-<pid>`.
   * @param {number} [options.keepalive=60] seconds.
   * @param {number} [options.reconnectPeriod=2000] ms between reconnection attempts; 0: none.
   */
  constructor(url, options = {}) {
    super();
    const parsed = new URL(url);
    if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') {
      throw new Error(`${url}: the simulator speaks mqtt:// or mqtts:// only`);
    }
    this.secure = parsed.protocol === 'mqtts:';
    this.host = parsed.hostname;
    this.port = Number(parsed.port || (this.secure ? 8883 : 1883));
    this.username = decodeURIComponent(parsed.username);
    this.password = decodeURIComponent(parsed.password);
    this.clientId = options.clientId || `stream-ml-${process.pid}`;
    this.keepalive = options.keepalive ?? 60;
    this.reconnectPeriod = options.reconnectPeriod ?? 2000;
    this.connected = false;
    this.ending = false;
    this.socket = null;
    this.pingTimer = null;
    this.reconnectTimer = null;
    this.open();
  }

  open() {
    const socket = this.secure
      ? tls.connect({ host: this.host, port: this.port, servername: this.host })
      : net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    let pending = Buffer.alloc(0);
    socket.once(this.secure ? 'secureConnect' : 'connect', () => socket.write(this.connectPacket()));
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const frame = readFrame(pending);
        if (frame === null) break;
        if (frame === undefined) {
          socket.destroy(new Error('malformed MQTT packet from the broker'));
          break;
        }
        pending = pending.subarray(frame.size);
        this.receive(frame.type, frame.body);
      }
    });
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => {
      const was = this.connected;
      this.connected = false;
      clearInterval(this.pingTimer);
      this.pingTimer = null;
      if (was) this.emit('close');
      if (!this.ending && this.reconnectPeriod > 0) {
        this.reconnectTimer = setTimeout(() => this.open(), this.reconnectPeriod);
      }
    });
  }

  connectPacket() {
    let flags = 0x02; // clean session
    const payload = [string(this.clientId)];
    if (this.username) {
      flags |= 0x80;
      payload.push(string(this.username));
      if (this.password) {
        flags |= 0x40;
        payload.push(string(this.password));
      }
    }
    const keepalive = Buffer.alloc(2);
    keepalive.writeUInt16BE(this.keepalive);
    return packet(CONNECT, string('MQTT'), Buffer.from([4, flags]), keepalive, ...payload);
  }

  receive(type, body) {
    if (type === CONNACK) {
      const code = body[1];
      if (code !== 0) {
        this.emit('error', new Error(`the broker refused the connection: ${CONNACK_ERRORS[code] || code}`));
        this.socket.destroy();
        return;
      }
      this.connected = true;
      if (this.keepalive > 0) {
        this.pingTimer = setInterval(
          () => this.write(Buffer.from([PINGREQ, 0])),
          (this.keepalive * 1000) / 2,
        );
      }
      this.emit('connect');
    }
    // Anything else (PINGRESP) needs no answer: a publish-only client subscribes to nothing.
  }

  write(buffer) {
    if (this.connected && this.socket && !this.socket.destroyed) this.socket.write(buffer);
  }

  /** Publishes at QoS 0; dropped while disconnected. */
  publish(topic, payload, options = {}) {
    const first = PUBLISH | (options.retain ? 1 : 0);
    this.write(packet(first, string(topic), Buffer.from(String(payload), 'utf8')));
  }

  /** Disconnects and stops reconnecting; `callback` runs once the socket is closed. */
  end(_force, _options, callback) {
    this.ending = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      if (callback) process.nextTick(callback);
      return;
    }
    if (callback) socket.once('close', () => callback());
    if (this.connected) socket.end(Buffer.from([DISCONNECT, 0]));
    else socket.destroy();
  }
}

/**
 * The first complete packet in `buffer`: `{type, body, size}`; null while incomplete, undefined
 * when its length is malformed.
 */
function readFrame(buffer) {
  if (buffer.length < 2) return null;
  let length = 0;
  let multiplier = 1;
  let offset = 1;
  for (;;) {
    if (offset >= buffer.length) return null;
    const byte = buffer[offset++];
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) break;
    multiplier *= 128;
    if (offset > 4) return undefined;
  }
  if (buffer.length < offset + length) return null;
  return { type: buffer[0] & 0xf0, body: buffer.subarray(offset, offset + length), size: offset + length };
}

/** Connects as mqtt.js's `mqtt.connect(url, options)` does. */
function connect(url, options) {
  return new Publisher(url, options);
}

module.exports = { connect, Publisher };
