// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0

// A small MQTT 3.1.1 / 5.0 client over WebSocket for the demo page: binary frames, keep-alive,
// QoS 0 and 1 both ways, reconnect with backoff, subscriptions restored after a reconnect, and
// error texts from CONNACK / DISCONNECT reason codes. No third-party code, no build step.
//
// What it leaves out, on purpose: QoS 2 (the page subscribes at QoS 1 at most, so the broker
// never sends QoS 2 to it [MQTT-3.8.4-6]), topic aliases, and MQTT 5 properties other than the
// reason string and the server keep-alive.

const PACKET = {
  CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7,
  SUBSCRIBE: 8, SUBACK: 9, UNSUBSCRIBE: 10, UNSUBACK: 11, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14,
};

// MQTT 3.1.1 §3.2.2.3 return codes, then MQTT 5 §2.4 reason codes the broker sends on CONNACK
// and DISCONNECT.
const CONNACK_V3 = {
  1: 'unacceptable protocol version', 2: 'client identifier rejected', 3: 'server unavailable',
  4: 'bad user name or password', 5: 'not authorized',
};
const REASON_V5 = {
  0x80: 'unspecified error', 0x81: 'malformed packet', 0x82: 'protocol error',
  0x83: 'implementation specific error', 0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid', 0x86: 'bad user name or password', 0x87: 'not authorized',
  0x88: 'server unavailable', 0x89: 'server busy', 0x8A: 'banned', 0x8B: 'server shutting down',
  0x8D: 'keep alive timeout', 0x8E: 'session taken over', 0x90: 'topic name invalid',
  0x93: 'receive maximum exceeded', 0x95: 'packet too large', 0x96: 'message rate too high',
  0x97: 'quota exceeded', 0x98: 'administrative action', 0x99: 'payload format invalid',
  0x9C: 'use another server', 0x9F: 'connection rate exceeded',
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of an MQTT Variable Byte Integer (MQTT 5 §1.5.5). */
function varint(value) {
  const bytes = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}

/** Builds one packet from its parts; strings are written as MQTT UTF-8 strings. */
class PacketWriter {
  constructor() { this.parts = []; this.length = 0; }
  byte(value) { return this.raw(Uint8Array.of(value)); }
  uint16(value) { return this.raw(Uint8Array.of(value >> 8, value & 0xff)); }
  raw(bytes) { this.parts.push(bytes); this.length += bytes.length; return this; }
  string(text) { return this.binary(encoder.encode(text)); }
  binary(bytes) { this.uint16(bytes.length); return this.raw(bytes); }
  /** The finished packet: fixed header (type, flags, remaining length) and the body. */
  packet(type, flags = 0) {
    const header = [(type << 4) | flags, ...varint(this.length)];
    const out = new Uint8Array(header.length + this.length);
    out.set(header, 0);
    let offset = header.length;
    for (const part of this.parts) { out.set(part, offset); offset += part.length; }
    return out;
  }
}

/** Reads the body of one packet. Throws on a short read, which the caller treats as malformed. */
class PacketReader {
  constructor(bytes) { this.bytes = bytes; this.offset = 0; }
  get remaining() { return this.bytes.length - this.offset; }
  byte() {
    if (this.remaining < 1) throw new Error('malformed packet');
    return this.bytes[this.offset++];
  }
  uint16() { return (this.byte() << 8) | this.byte(); }
  uint32() { return ((this.uint16() << 16) >>> 0) + this.uint16(); }
  varint() {
    let value = 0; let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new Error('malformed variable byte integer');
  }
  take(count) {
    if (this.remaining < count) throw new Error('malformed packet');
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }
  string() { return decoder.decode(this.take(this.uint16())); }
  rest() { return this.take(this.remaining); }
  /** MQTT 5 properties: keeps the few the client uses, skips the rest by their type. */
  properties() {
    const end = this.varint() + this.offset;
    const found = { userProperties: [] };
    while (this.offset < end) {
      const id = this.varint();
      switch (id) {
        case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
          found[id] = this.byte(); break;
        case 0x13: case 0x21: case 0x22: case 0x23:
          found[id] = this.uint16(); break;
        case 0x02: case 0x11: case 0x18: case 0x27:
          found[id] = this.uint32(); break;
        case 0x0B:
          found[id] = this.varint(); break;
        case 0x03: case 0x08: case 0x12: case 0x15: case 0x1A: case 0x1C: case 0x1F:
          found[id] = this.string(); break;
        case 0x09: case 0x16:
          found[id] = this.take(this.uint16()); break;
        case 0x26:
          found.userProperties.push([this.string(), this.string()]); break;
        default:
          throw new Error(`unknown property 0x${id.toString(16)}`);
      }
    }
    return found;
  }
}

/**
 * Splits a byte stream into MQTT packets. One WebSocket message may carry several packets and
 * one packet may span several messages (MQTT 5 §6.0), so bytes are kept until a packet is whole.
 */
class PacketSplitter {
  constructor(maxPacketSize) { this.buffer = new Uint8Array(0); this.maxPacketSize = maxPacketSize; }
  /** Appends `chunk` and returns the complete packets as `{type, flags, body}`. */
  push(chunk) {
    if (this.buffer.length === 0) {
      this.buffer = chunk;
    } else {
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer, 0);
      joined.set(chunk, this.buffer.length);
      this.buffer = joined;
    }
    const packets = [];
    let offset = 0;
    for (;;) {
      const header = this.header(offset);
      if (header === null) break;
      const [remaining, headerLength] = header;
      if (remaining > this.maxPacketSize) throw new Error('packet too large');
      if (this.buffer.length - offset < headerLength + remaining) break;
      const first = this.buffer[offset];
      const start = offset + headerLength;
      packets.push({ type: first >> 4, flags: first & 0x0f, body: this.buffer.slice(start, start + remaining) });
      offset = start + remaining;
    }
    this.buffer = this.buffer.slice(offset);
    return packets;
  }
  header(offset) {
    let value = 0; let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (offset + i >= this.buffer.length) return null;
      const byte = this.buffer[offset + i];
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return [value, i + 1];
      multiplier *= 128;
    }
    throw new Error('malformed remaining length');
  }
}

/** Why a connection ended or could not start, in words a person can act on. */
export class MqttError extends Error {
  constructor(message, { code = null, fatal = false } = {}) {
    super(message);
    this.code = code;
    // A fatal error (bad credentials, not authorized, banned) is not retried: retrying would
    // only be refused again and count against the per-address auth limit.
    this.fatal = fatal;
  }
}

const FATAL_CODES = new Set([0x84, 0x85, 0x86, 0x87, 0x8A, 0x98]);

/**
 * An MQTT client over WebSocket. Events (EventTarget): `state` ({state}), `connect`
 * ({sessionPresent}), `message` ({topic, payload, qos, retain, properties}), `close` ({error}),
 * `frame` ({packets, bytes}) for each WebSocket message received.
 */
export class MqttClient extends EventTarget {
  constructor({
    url, clientId, username = null, password = null, protocolVersion = 4, keepAlive = 30,
    clean = true, reconnect = true, minBackoff = 500, maxBackoff = 15000, maxPacketSize = 1 << 20,
  }) {
    super();
    Object.assign(this, { url, clientId, username, password, protocolVersion, keepAlive, clean });
    this.reconnectEnabled = reconnect;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.maxPacketSize = maxPacketSize;
    this.state = 'idle';
    this.socket = null;
    this.subscriptions = new Map(); // filter → qos, restored after a reconnect
    this.pending = new Map(); // packet id → {resolve, reject, packet}
    this.nextId = 1;
    this.attempt = 0;
    this.timers = { keepAlive: null, reconnect: null };
    this.lastSent = 0;
    this.lastReceived = 0;
  }

  /** Opens the connection; resolves on a successful CONNACK, rejects with an MqttError. */
  connect() {
    this.reconnectEnabled = this.reconnectEnabled !== false;
    this.stopped = false;
    return new Promise((resolve, reject) => {
      const onConnect = () => { cleanup(); resolve(); };
      const onClose = (event) => { if (event.detail.error?.fatal || !this.reconnectEnabled) { cleanup(); reject(event.detail.error); } };
      const cleanup = () => { this.removeEventListener('connect', onConnect); this.removeEventListener('close', onClose); };
      this.addEventListener('connect', onConnect);
      this.addEventListener('close', onClose);
      this.open();
    });
  }

  /** Publishes; resolves when sent (QoS 0) or acknowledged (QoS 1). */
  publish(topic, payload, { qos = 0, retain = false } = {}) {
    if (qos > 1) return Promise.reject(new MqttError('QoS 2 is not supported by this client'));
    const body = new PacketWriter().string(topic);
    const id = qos > 0 ? this.allocateId() : 0;
    if (qos > 0) body.uint16(id);
    if (this.protocolVersion === 5) body.byte(0); // no properties
    body.raw(typeof payload === 'string' ? encoder.encode(payload) : payload);
    const packet = body.packet(PACKET.PUBLISH, (qos << 1) | (retain ? 1 : 0));
    if (qos === 0) {
      if (this.state !== 'connected') return Promise.reject(new MqttError('not connected'));
      this.send(packet);
      return Promise.resolve();
    }
    return this.request(id, packet);
  }

  /** Subscribes; resolves with the granted QoS, rejects if the broker refused the filter. */
  async subscribe(filter, { qos = 0 } = {}) {
    this.subscriptions.set(filter, qos);
    if (this.state !== 'connected') return qos; // sent on (re)connect
    return this.sendSubscribe(filter, qos);
  }

  async unsubscribe(filter) {
    this.subscriptions.delete(filter);
    if (this.state !== 'connected') return;
    const id = this.allocateId();
    const body = new PacketWriter().uint16(id);
    if (this.protocolVersion === 5) body.byte(0);
    body.string(filter);
    await this.request(id, body.packet(PACKET.UNSUBSCRIBE, 0b0010)); // [MQTT-3.10.1-1]
  }

  /** Sends DISCONNECT and closes for good. */
  end() {
    this.stopped = true;
    this.reconnectEnabled = false;
    clearTimeout(this.timers.reconnect);
    if (this.state === 'connected') {
      const body = new PacketWriter();
      if (this.protocolVersion === 5) body.byte(0x00);
      this.send(body.packet(PACKET.DISCONNECT));
    }
    if (this.socket) {
      this.socket.close(1000); // onclose settles what is pending
    } else {
      // Between reconnect attempts there is no socket whose close would settle the promises.
      this.closed(new MqttError('closed'));
    }
    this.setState('closed');
  }

  // MARK: - Connection

  open() {
    clearTimeout(this.timers.reconnect);
    this.setState('connecting');
    this.splitter = new PacketSplitter(this.maxPacketSize);
    // RFC 6455 §4.1: the subprotocol the broker expects; MQTT 5 §6.0 names it "mqtt".
    const socket = new WebSocket(this.url, ['mqtt']);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => this.sendConnect();
    socket.onmessage = (event) => this.receive(new Uint8Array(event.data));
    socket.onerror = () => {}; // followed by onclose, which carries what there is to say
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      const error = this.closeError ?? new MqttError(event.code === 1006
        ? 'connection lost' : `connection closed (WebSocket ${event.code}${event.reason ? ` ${event.reason}` : ''})`);
      this.closeError = null;
      this.closed(error);
    };
  }

  closed(error) {
    clearInterval(this.timers.keepAlive);
    this.socket = null;
    const retry = this.reconnectEnabled && !this.stopped && !error.fatal;
    this.setState(retry ? 'reconnecting' : 'closed');
    this.dispatchEvent(new CustomEvent('close', { detail: { error } }));
    if (!retry) {
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      return;
    }
    // Exponential backoff with jitter, so a restarted broker is not hit by every page at once.
    const ceiling = Math.min(this.maxBackoff, this.minBackoff * 2 ** this.attempt);
    this.attempt += 1;
    this.timers.reconnect = setTimeout(() => this.open(), ceiling / 2 + Math.random() * ceiling / 2);
  }

  fail(error) {
    this.closeError = error;
    // Nothing more is read from this connection: a broken stream must not keep growing the buffer.
    this.splitter = new PacketSplitter(this.maxPacketSize);
    // Browsers let a page close with 1000 or 3000–4999 only (WebSocket API, close()); 1002 would throw.
    this.socket?.close(1000);
  }

  sendConnect() {
    const v5 = this.protocolVersion === 5;
    const body = new PacketWriter().string('MQTT').byte(v5 ? 5 : 4);
    let flags = this.clean ? 0x02 : 0;
    if (this.username !== null) flags |= 0x80;
    if (this.password !== null) flags |= 0x40;
    body.byte(flags).uint16(this.keepAlive);
    if (v5) {
      // Session Expiry Interval 0 with clean start, a day otherwise; Maximum Packet Size.
      const props = new PacketWriter();
      if (!this.clean) props.byte(0x11).raw(Uint8Array.of(0, 1, 0x51, 0x80));
      props.byte(0x27).raw(Uint8Array.of(this.maxPacketSize >>> 24, (this.maxPacketSize >>> 16) & 0xff, (this.maxPacketSize >>> 8) & 0xff, this.maxPacketSize & 0xff));
      body.raw(Uint8Array.from(varint(props.length)));
      for (const part of props.parts) body.raw(part);
    }
    body.string(this.clientId);
    if (this.username !== null) body.string(this.username);
    if (this.password !== null) body.string(this.password);
    this.send(body.packet(PACKET.CONNECT));
  }

  send(packet) {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(packet);
    this.lastSent = Date.now();
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state } }));
  }

  startKeepAlive(seconds) {
    clearInterval(this.timers.keepAlive);
    if (seconds === 0) return;
    this.lastReceived = Date.now();
    const interval = seconds * 1000;
    this.timers.keepAlive = setInterval(() => {
      const now = Date.now();
      // [MQTT-3.1.2-24]: the broker allows 1.5 × keep-alive; ping well before that, and give up
      // on a broker that has said nothing for as long.
      if (now - this.lastReceived > interval * 1.5) {
        this.fail(new MqttError('no answer from the broker (keep-alive)'));
      } else if (now - this.lastSent >= interval / 2) {
        this.send(new PacketWriter().packet(PACKET.PINGREQ));
      }
    }, Math.min(interval / 4, 5000));
  }

  allocateId() {
    for (let i = 0; i < 65535; i++) {
      const id = this.nextId;
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new MqttError('too many messages in flight');
  }

  request(id, packet) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, packet });
      if (this.state === 'connected') this.send(packet);
    });
  }

  sendSubscribe(filter, qos) {
    const id = this.allocateId();
    const body = new PacketWriter().uint16(id);
    if (this.protocolVersion === 5) body.byte(0);
    body.string(filter).byte(qos);
    return this.request(id, body.packet(PACKET.SUBSCRIBE, 0b0010)).then((codes) => {
      if (codes[0] >= 0x80) {
        this.subscriptions.delete(filter);
        const text = this.protocolVersion === 5 ? (REASON_V5[codes[0]] ?? `code 0x${codes[0].toString(16)}`) : 'refused';
        throw new MqttError(`subscription to ${filter} ${text}`, { code: codes[0] });
      }
      return codes[0];
    });
  }

  // MARK: - Receiving

  receive(bytes) {
    this.lastReceived = Date.now();
    let packets;
    try {
      packets = this.splitter.push(bytes);
    } catch (error) {
      this.fail(new MqttError(error.message, { code: 0x81 }));
      return;
    }
    this.dispatchEvent(new CustomEvent('frame', { detail: { packets: packets.length, bytes: bytes.length } }));
    for (const packet of packets) {
      try {
        this.handle(packet);
      } catch (error) {
        this.fail(new MqttError(`${error.message} in packet type ${packet.type}`, { code: 0x81 }));
        return;
      }
    }
  }

  handle({ type, flags, body }) {
    const reader = new PacketReader(body);
    const v5 = this.protocolVersion === 5;
    switch (type) {
      case PACKET.CONNACK: {
        const sessionPresent = (reader.byte() & 1) === 1;
        const code = reader.byte();
        const properties = v5 && reader.remaining > 0 ? reader.properties() : {};
        if (code !== 0) {
          const text = v5 ? (REASON_V5[code] ?? `reason 0x${code.toString(16)}`) : (CONNACK_V3[code] ?? `code ${code}`);
          const reason = properties[0x1F] ? ` (${properties[0x1F]})` : '';
          const fatal = v5 ? FATAL_CODES.has(code) : code === 4 || code === 5 || code === 2 || code === 1;
          this.fail(new MqttError(`connection refused: ${text}${reason}`, { code, fatal }));
          return;
        }
        this.attempt = 0;
        this.setState('connected');
        this.startKeepAlive(properties[0x13] ?? this.keepAlive); // Server Keep Alive, MQTT 5 §3.2.2.3.14
        // What was in flight before the connection was lost, taken before the SUBSCRIBEs below
        // join `pending`, so that none of them is sent twice.
        const inFlight = [...this.pending.values()];
        for (const entry of inFlight) {
          // At least once: QoS 1 publishes not yet acknowledged go again, with DUP [MQTT-3.3.1-1].
          if ((entry.packet[0] >> 4) === PACKET.PUBLISH) {
            entry.packet[0] |= 0x08;
            this.send(entry.packet);
          } else {
            // A SUBSCRIBE or UNSUBSCRIBE that got no answer: its subscription is restored below.
            entry.resolve([0]);
            for (const [id, pendingEntry] of this.pending) if (pendingEntry === entry) this.pending.delete(id);
          }
        }
        for (const [filter, qos] of this.subscriptions) {
          this.sendSubscribe(filter, qos).catch((error) => this.dispatchEvent(new CustomEvent('warning', { detail: { error } })));
        }
        this.dispatchEvent(new CustomEvent('connect', { detail: { sessionPresent } }));
        break;
      }
      case PACKET.PUBLISH: {
        const qos = (flags >> 1) & 3;
        const topic = reader.string();
        const id = qos > 0 ? reader.uint16() : 0;
        const properties = v5 ? reader.properties() : { userProperties: [] };
        const payload = reader.rest();
        this.dispatchEvent(new CustomEvent('message', { detail: { topic, payload, qos, retain: (flags & 1) === 1, properties } }));
        if (qos === 1) this.send(new PacketWriter().uint16(id).packet(PACKET.PUBACK));
        break;
      }
      case PACKET.PUBACK: {
        const id = reader.uint16();
        const entry = this.pending.get(id);
        this.pending.delete(id);
        // MQTT 5 §3.4.2.1: the reason code may be left out when it is 0x00.
        const code = v5 && reader.remaining > 0 ? reader.byte() : 0;
        if (code >= 0x80) entry?.reject(new MqttError(`message refused: ${REASON_V5[code] ?? `reason 0x${code.toString(16)}`}`, { code }));
        else entry?.resolve(code);
        break;
      }
      case PACKET.UNSUBACK: {
        const id = reader.uint16();
        this.pending.get(id)?.resolve(0);
        this.pending.delete(id);
        break;
      }
      case PACKET.SUBACK: {
        const id = reader.uint16();
        if (v5) reader.properties();
        const codes = Array.from(reader.rest());
        const entry = this.pending.get(id);
        this.pending.delete(id);
        entry?.resolve(codes);
        break;
      }
      case PACKET.PINGRESP:
        break;
      case PACKET.DISCONNECT: {
        const code = reader.remaining > 0 ? reader.byte() : 0;
        const properties = v5 && reader.remaining > 0 ? reader.properties() : {};
        const reason = properties[0x1F] ? ` (${properties[0x1F]})` : '';
        this.fail(new MqttError(`disconnected by the broker: ${REASON_V5[code] ?? `reason 0x${code.toString(16)}`}${reason}`,
          { code, fatal: FATAL_CODES.has(code) }));
        break;
      }
      default:
        throw new Error(`unexpected packet type ${type}`);
    }
  }
}
