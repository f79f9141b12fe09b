// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0

// The demo page: a chat room and a live room with a bullet screen, over one MQTT connection.
//
// Topics (docs/web-demo.md):
//   chat/{room}              chat messages, QoS 1, JSON {id, from, nick, text, ts}
//   chat-in/{room}           the same, sent to the chat backend (token mode), which relays them
//   {chat}/p2p/{clientId}    whispers: Swiftlet's point-to-point topic, delivered without a subscription
//   live/{room}              bullet comments, QoS 0, JSON {from, nick, text, color}
//   presence/online          retained JSON {users: [{clientId, nick}]}, kept by the chat backend
//   presence/viewers         retained JSON {rooms: {room: viewers}}, kept by the chat backend
// The chat backend (optional) issues tokens and serves history; without it the page connects
// anonymously and says what it cannot show.

import { MqttClient } from './mqtt.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const config = {
  // The broker serves this page and MQTT over WebSocket on the same port (DESIGN §1), so the
  // endpoint follows the page: ws:// locally, wss:// behind a certificate.
  url: params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/mqtt`,
  backend: params.get('backend') ?? `${location.protocol}//${location.hostname}:8090`,
  protocolVersion: params.get('mqtt') === '3.1.1' ? 4 : 5,
  liveRate: { burst: 3, perSecond: 0.5 }, // bullet comments a person may fire
  maxBullets: 120, // on screen at once; more are counted, not drawn
};

const state = {
  clientId: sessionStorage.getItem('swiftlet.clientId') ?? `GID_demo@@@${crypto.randomUUID().slice(0, 8)}`,
  nick: localStorage.getItem('swiftlet.nick') ?? '',
  room: localStorage.getItem('swiftlet.room') ?? 'lobby',
  client: null,
  joined: null, // the room whose topics are subscribed
  backend: null, // {url} once the chat backend answered
  whisperTo: null, // {clientId, nick}
  seen: new Set(), // chat message IDs already shown (history and live overlap)
  names: new Map(), // clientId → nick, learned from messages and presence
  color: `hsl(${Math.floor(Math.random() * 360)} 90% 70%)`,
  bucket: { tokens: config.liveRate.burst, at: performance.now() },
  hud: { comments: 0, frames: 0, packets: 0 },
  lanes: [],
  dropped: 0,
};
sessionStorage.setItem('swiftlet.clientId', state.clientId);
// Binds this tab's client ID at the chat backend: only a page with this secret gets tokens for it.
state.clientSecret = sessionStorage.getItem('swiftlet.clientSecret') ?? crypto.randomUUID();
sessionStorage.setItem('swiftlet.clientSecret', state.clientSecret);

// MARK: - Connection

async function findBackend() {
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1500);
    const response = await fetch(`${config.backend}/api/info`, { signal: controller.signal });
    clearTimeout(timer);
    if (response.ok) return { url: config.backend, info: await response.json() };
  } catch {
    // No backend: anonymous mode.
  }
  return null;
}

async function credentials() {
  if (!state.backend) return { username: null, password: null };
  const query = new URLSearchParams({ clientId: state.clientId, nick: state.nick });
  const response = await fetch(`${state.backend.url}/api/token?${query}`, {
    method: 'POST', headers: { 'X-Client-Secret': state.clientSecret },
  });
  if (!response.ok) throw new Error(`the chat backend refused a token (HTTP ${response.status})`);
  const { username, password } = await response.json();
  return { username, password };
}

async function connect() {
  if (state.client) return state.client;
  const { username, password } = await credentials();
  const client = new MqttClient({
    url: config.url, clientId: state.clientId, username, password,
    protocolVersion: config.protocolVersion, keepAlive: 30,
  });
  client.addEventListener('state', ({ detail }) => showState(detail.state));
  client.addEventListener('connect', () => showError(null));
  client.addEventListener('close', ({ detail }) => {
    showError(detail.error?.message ?? null);
    // An expired or revoked token: get a fresh one and go on.
    if (detail.error?.fatal && state.backend && [0x86, 0x87, 4, 5].includes(detail.error.code)) {
      state.client = null;
      setTimeout(() => join(state.room).catch((error) => showError(error.message)), 1000);
    }
  });
  client.addEventListener('warning', ({ detail }) => showError(detail.error.message));
  client.addEventListener('message', ({ detail }) => onMessage(detail));
  client.addEventListener('frame', ({ detail }) => { state.hud.frames += 1; state.hud.packets += detail.packets; });
  state.client = client;
  await client.connect();
  return client;
}

async function join(room) {
  showError(null);
  const client = await connect();
  if (state.joined && state.joined !== room) {
    await Promise.all([
      client.unsubscribe(`chat/${state.joined}`), client.unsubscribe(`live/${state.joined}`),
    ]);
    $('chat-log').replaceChildren();
    state.seen.clear();
  }
  state.joined = room;
  $('live-room').textContent = room;
  showViewers();
  await Promise.all([
    client.subscribe(`chat/${room}`, { qos: 1 }),
    client.subscribe(`live/${room}`, { qos: 0 }),
    state.backend ? client.subscribe('presence/online', { qos: 1 }) : null,
    state.backend ? client.subscribe('presence/viewers', { qos: 1 }) : null,
  ]);
  for (const id of ['chat-input', 'chat-send', 'live-input', 'live-send']) $(id).disabled = false;
  system(`joined #${room} as ${state.nick}`);
  if (state.backend) loadHistory(room);
  document.body.dataset.joined = room;
}

async function loadHistory(room) {
  try {
    const response = await fetch(`${state.backend.url}/api/history?room=${encodeURIComponent(room)}`);
    if (!response.ok) return;
    const { messages } = await response.json();
    // Oldest first from the backend; each is put above what is shown, so the newest goes first.
    for (const message of [...messages].reverse()) showChat(message, { history: true, prepend: true });
  } catch (error) {
    system(`history unavailable: ${error.message}`);
  }
}

// MARK: - Receiving

function onMessage({ topic, payload }) {
  let message;
  try {
    message = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    message = { text: new TextDecoder().decode(payload) }; // plain text from mosquitto_pub and friends
  }
  if (typeof message !== 'object' || message === null) message = { text: String(message) };
  if (topic === `live/${state.joined}`) {
    state.hud.comments += 1;
    fire(message);
  } else if (topic === `chat/${state.joined}`) {
    showChat(message);
  } else if (topic.includes('/p2p/')) {
    showChat({ ...message, whisper: true });
  } else if (topic === 'presence/online') {
    showPresence(message.users ?? []);
  } else if (topic === 'presence/viewers') {
    state.viewers = message.rooms ?? {};
    showViewers();
  }
}

function showChat(message, { history = false, prepend = false } = {}) {
  if (message.id && state.seen.has(message.id)) return;
  if (message.id) state.seen.add(message.id);
  if (message.from && message.nick) state.names.set(message.from, message.nick);
  const mine = message.from === state.clientId;
  const item = document.createElement('li');
  item.className = [mine ? 'mine' : '', message.whisper ? 'whisper' : '', history ? 'history' : ''].join(' ').trim();
  item.dataset.from = message.from ?? '';
  const who = document.createElement('div');
  who.className = 'who';
  const name = message.nick ?? message.from ?? 'someone';
  who.textContent = message.whisper ? (mine ? `whisper to ${message.toNick ?? '?'}` : `${name} whispers`) : name;
  if (message.from && !mine) who.addEventListener('click', () => whisperTo(message.from, name));
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = String(message.text ?? ''); // never innerHTML: messages come from anyone
  item.append(who, text);
  const log = $('chat-log');
  if (prepend) log.prepend(item); else log.append(item);
  log.scrollTop = log.scrollHeight;
}

function system(text) {
  const item = document.createElement('li');
  item.className = 'system';
  item.textContent = text;
  $('chat-log').append(item);
}

function showPresence(users) {
  const list = $('online');
  list.replaceChildren(...users.map(({ clientId, nick }) => {
    state.names.set(clientId, nick);
    const item = document.createElement('li');
    item.textContent = clientId === state.clientId ? `${nick} (you)` : nick;
    if (clientId !== state.clientId) item.addEventListener('click', () => whisperTo(clientId, nick));
    return item;
  }));
  $('online-count').textContent = String(users.length);
}

/** The live room's viewers: its subscribers, counted by the broker, published by the backend. */
function showViewers() {
  const count = state.viewers?.[state.joined];
  if (count !== undefined) $('viewer-count').textContent = `${count} watching`;
}

// MARK: - The bullet screen

function fire(message) {
  const screen = $('danmaku');
  if (screen.childElementCount >= config.maxBullets || document.hidden) {
    state.dropped += 1;
    return;
  }
  const bullet = document.createElement('span');
  bullet.className = message.from === state.clientId ? 'bullet mine' : 'bullet';
  bullet.textContent = String(message.text ?? '').slice(0, 60);
  bullet.style.color = /^hsl\(\d{1,3} \d{1,3}% \d{1,3}%\)$/.test(message.color ?? '') ? message.color : '#fff';
  screen.append(bullet);
  // Lanes: the one that frees first, so comments do not overlap while there is room.
  const height = bullet.offsetHeight || 24;
  const laneCount = Math.max(1, Math.floor((screen.clientHeight - 40) / (height + 4)));
  if (state.lanes.length !== laneCount) state.lanes = Array(laneCount).fill(0);
  const now = performance.now();
  let lane = 0;
  for (let i = 1; i < laneCount; i++) if (state.lanes[i] < state.lanes[lane]) lane = i;
  const width = screen.clientWidth;
  const duration = 7000 + Math.random() * 2000;
  const speed = (width + bullet.offsetWidth) / duration;
  state.lanes[lane] = Math.max(now, state.lanes[lane]) + (bullet.offsetWidth + 24) / speed;
  bullet.style.top = `${36 + lane * (height + 4)}px`;
  bullet.style.setProperty('--duration', `${duration}ms`);
  bullet.addEventListener('animationend', () => bullet.remove());
}

function takeToken() {
  const { burst, perSecond } = config.liveRate;
  const now = performance.now();
  const bucket = state.bucket;
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / perSecond);
  bucket.tokens -= 1;
  return 0;
}

setInterval(() => {
  const { comments, frames, packets } = state.hud;
  $('hud-comments').textContent = String(comments);
  $('hud-frames').textContent = String(frames);
  $('hud-ratio').textContent = frames > 0 ? (packets / frames).toFixed(1) : '–';
  // The highest ratio seen, for the browser test and for anyone curious in the inspector.
  if (frames > 0) $('hud-ratio').dataset.max = String(Math.max(Number($('hud-ratio').dataset.max ?? 0), packets / frames));
  state.hud = { comments: 0, frames: 0, packets: 0 };
}, 1000);

// MARK: - Sending

function whisperTo(clientId, nick) {
  state.whisperTo = { clientId, nick };
  const tag = $('whisper-to');
  tag.textContent = `to ${nick} ✕`;
  tag.hidden = false;
  $('chat-input').placeholder = `Whisper to ${nick}`;
  $('chat-input').focus();
}

function stopWhisper() {
  state.whisperTo = null;
  $('whisper-to').hidden = true;
  $('chat-input').placeholder = 'Say something to the room';
}

async function sendChat(text) {
  const message = { id: crypto.randomUUID(), from: state.clientId, nick: state.nick, text, ts: Date.now() };
  if (state.whisperTo) {
    const target = state.whisperTo;
    // DESIGN §5: {parentTopic}/p2p/{clientId} reaches that client only, subscribed or not.
    await state.client.publish(`chat/p2p/${target.clientId}`, JSON.stringify({ ...message, toNick: target.nick }), { qos: 1 });
    showChat({ ...message, whisper: true, toNick: target.nick });
  } else {
    // With the chat backend, messages go through it (word filter, history) and it publishes them
    // to the room; its token lets the page write chat-in/{room}, not chat/{room}.
    const topic = state.backend ? `chat-in/${state.joined}` : `chat/${state.joined}`;
    await state.client.publish(topic, JSON.stringify(message), { qos: 1 });
  }
}

// MARK: - Page

function showState(value) {
  document.body.dataset.state = value;
  $('status').textContent = value;
}

function showError(text) {
  const box = $('error');
  box.hidden = !text;
  box.textContent = text ?? '';
}

function showView(view) {
  document.body.dataset.view = view;
  $('chat-view').hidden = view !== 'chat';
  $('live-view').hidden = view !== 'live';
  for (const tab of document.querySelectorAll('.tabs button')) tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  history.replaceState(null, '', `#${view}`);
}

async function start() {
  $('nick').value = state.nick;
  $('room').value = state.room;
  $('endpoint').textContent = `${config.url} · MQTT ${config.protocolVersion === 5 ? '5.0' : '3.1.1'} · ${state.clientId}`;
  showView(location.hash === '#live' ? 'live' : 'chat');
  for (const tab of document.querySelectorAll('.tabs button')) tab.addEventListener('click', () => showView(tab.dataset.view));

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    state.nick = $('nick').value.trim();
    state.room = $('room').value.trim();
    localStorage.setItem('swiftlet.nick', state.nick);
    localStorage.setItem('swiftlet.room', state.room);
    join(state.room).catch((error) => showError(error.message));
  });
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('chat-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    sendChat(text).catch((error) => showError(`not sent: ${error.message}`));
  });
  $('whisper-to').addEventListener('click', stopWhisper);
  $('live-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('live-input');
    const text = input.value.trim();
    if (!text) return;
    const wait = takeToken();
    if (wait > 0) {
      $('live-hint').textContent = `Easy — next comment in ${wait} s.`;
      return;
    }
    $('live-hint').textContent = '';
    input.value = '';
    const comment = { from: state.clientId, nick: state.nick, text, color: state.color };
    state.client.publish(`live/${state.joined}`, JSON.stringify(comment)).catch((error) => showError(`not sent: ${error.message}`));
  });
  $('batching-toggle').addEventListener('change', (event) => { $('hud').hidden = !event.target.checked; });

  state.backend = await findBackend();
  document.body.dataset.backend = state.backend ? 'on' : 'off';
  $('mode').textContent = state.backend ? 'token mode (chat backend)' : 'anonymous mode';
  $('presence-note').hidden = Boolean(state.backend);
  if (!state.backend) $('viewer-count').textContent = 'viewers: needs the chat backend';
  document.body.dataset.ready = 'true';
  if (state.nick) join(state.room).catch((error) => showError(error.message));
}

start();
