#!/usr/bin/env node
// Drives headless Debian Chromium (through playwright-core, never a downloaded browser) against a
// STUN/TURN server, for p2pnat's browser interoperability lab test (LabBrowserInteropTest).
//
// Usage: node webrtc-turn.mjs '<config JSON>'   (or the config in env WEBRTC_TURN_CONFIG)
//
// Config:
//   mode          "relay":  two RTCPeerConnections in one page, iceTransportPolicy 'relay', connect
//                           through the TURN server(s), open a data channel and send `messages`
//                           messages from the first to the second, counted and checked on arrival;
//                 "gather": one RTCPeerConnection gathers candidates until gathering completes
//                           (STUN: look for srflx; a bad credential: look for icecandidateerror)
//   iceServers    RTCIceServer[] as the page gives them to RTCPeerConnection
//   messages      how many data channel messages (relay mode; default 100)
//   timeoutMs     how long the page may take (default 20000); the whole run ends within
//                 timeoutMs + 15 s, browser launch included, whatever happens
//   chromium      the browser (default /usr/bin/chromium)
//   chromiumArgs  more command line switches, e.g. "--host-resolver-rules=MAP turn.test 192.0.2.128"
//
// Prints exactly one JSON line on stdout and exits 0 when the run reached its goal ("ok": true),
// 1 when it did not, 2 on a driver failure (no browser, hard timeout). Fields: ok, mode, error,
// sent, received, badMessages (first mismatches), selected (the nominated candidate pair of the
// first connection: local/remote candidateType, protocol, relayProtocol, address, port, url),
// candidates (every icecandidate per connection), candidateErrors (icecandidateerror events),
// states (connection/ICE state changes), elapsedMs. Diagnostics go to stderr.

import { chromium } from 'playwright-core';

const started = Date.now();
let printed = false;

function emit(result, code) {
  if (printed) {
    return;
  }
  printed = true;
  result.elapsedMs = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
}

let config;
try {
  config = JSON.parse(process.argv[2] ?? process.env.WEBRTC_TURN_CONFIG ?? '');
} catch (e) {
  emit({ ok: false, mode: null, error: 'bad config JSON: ' + e.message }, 2);
}

if (config) {
  const timeoutMs = config.timeoutMs ?? 20000;
  const hardLimit = setTimeout(() => emit({ ok: false, mode: config.mode,
    error: 'driver hard timeout after ' + (timeoutMs + 15000) + ' ms (browser launch or page hung)' }, 2),
    timeoutMs + 15000);
  hardLimit.unref();
  run(config, timeoutMs).then(
    (result) => emit(result, result.ok ? 0 : 1),
    (e) => emit({ ok: false, mode: config.mode, error: 'driver: ' + (e && e.stack ? e.stack : String(e)) }, 2));
}

async function run(cfg, timeoutMs) {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  const browser = await chromium.launch({
    executablePath: cfg.chromium ?? '/usr/bin/chromium',
    headless: true,
    timeout: 15000,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns',
      ...(cfg.chromiumArgs ?? [])],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write('page console: ' + m.text() + '\n'));
    page.on('pageerror', (e) => process.stderr.write('page error: ' + e + '\n'));
    await page.goto('about:blank');
    const arg = { iceServers: cfg.iceServers ?? [], messages: cfg.messages ?? 100, timeoutMs };
    const result = cfg.mode === 'gather' ? await page.evaluate(gather, arg) : await page.evaluate(relay, arg);
    result.mode = cfg.mode ?? 'relay';
    result.browser = browser.version();
    return result;
  } finally {
    await browser.close().catch(() => {});
  }
}

// ---- in the page

/** Two connections, relay only, a data channel, `messages` messages counted by the receiver. */
async function relay({ iceServers, messages, timeoutMs }) {
  const out = { ok: false, error: null, sent: 0, received: 0, badMessages: [], selected: null,
    candidates: { pc1: [], pc2: [] }, candidateErrors: [], states: [] };
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const config = { iceServers, iceTransportPolicy: 'relay' };
  const pc1 = new RTCPeerConnection(config);
  const pc2 = new RTCPeerConnection(config);
  const tag = Math.random().toString(36).slice(2, 10);
  const expected = (i) => 'p2pnat ' + tag + ' #' + i + ' ' + 'x'.repeat(i);
  for (const [name, pc, other] of [['pc1', pc1, pc2], ['pc2', pc2, pc1]]) {
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) {
        out.candidates[name].push(e.candidate.candidate);
        other.addIceCandidate(e.candidate).catch((err) => out.states.push(ms() + ' ' + name + ' addIceCandidate: ' + err));
      }
    };
    pc.onicecandidateerror = (e) => out.candidateErrors.push({ pc: name, url: e.url, errorCode: e.errorCode,
      errorText: e.errorText, address: e.address, port: e.port });
    pc.oniceconnectionstatechange = () => out.states.push(ms() + ' ' + name + ' ice ' + pc.iceConnectionState);
    pc.onconnectionstatechange = () => out.states.push(ms() + ' ' + name + ' connection ' + pc.connectionState);
    pc.onicegatheringstatechange = () => out.states.push(ms() + ' ' + name + ' gathering ' + pc.iceGatheringState);
  }
  const done = new Promise((resolve) => {
    pc2.ondatachannel = (e) => {
      const ch = e.channel;
      out.states.push(ms() + ' pc2 datachannel ' + ch.label);
      ch.onmessage = (m) => {
        const i = out.received;
        if (m.data === expected(i)) {
          out.received++;
        } else if (out.badMessages.length < 5) {
          out.badMessages.push({ index: i, got: String(m.data).slice(0, 80) });
        }
        if (out.received === messages) {
          resolve();
        }
      };
    };
  });
  const dc = pc1.createDataChannel('p2pnat', { ordered: true });
  dc.onopen = () => {
    out.states.push(ms() + ' pc1 datachannel open');
    for (let i = 0; i < messages; i++) {
      dc.send(expected(i));
      out.sent++;
    }
  };
  const offer = await pc1.createOffer();
  await pc1.setLocalDescription(offer);
  await pc2.setRemoteDescription(offer);
  const answer = await pc2.createAnswer();
  await pc2.setLocalDescription(answer);
  await pc1.setRemoteDescription(answer);
  const timedOut = await Promise.race([done.then(() => false),
    new Promise((r) => setTimeout(() => r(true), timeoutMs))]);
  out.selected = await selectedPair(pc1);
  if (timedOut) {
    out.error = 'timeout after ' + timeoutMs + ' ms: ' + out.received + '/' + messages + ' messages received, pc1 ice '
      + pc1.iceConnectionState + ', pc2 ice ' + pc2.iceConnectionState + ', relay candidates pc1 '
      + out.candidates.pc1.length + ' pc2 ' + out.candidates.pc2.length;
  } else {
    out.ok = out.received === messages && out.badMessages.length === 0;
  }
  pc1.close();
  pc2.close();
  return out;

  async function selectedPair(pc) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        pair = stats.get(s.selectedCandidatePairId);
      }
    });
    if (!pair) {
      stats.forEach((s) => {
        if (!pair && s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
          pair = s;
        }
      });
    }
    if (!pair) {
      return null;
    }
    const pick = (c) => c && { candidateType: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol ?? null,
      address: c.address, port: c.port, url: c.url ?? null };
    return { state: pair.state, nominated: pair.nominated, bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived,
      local: pick(stats.get(pair.localCandidateId)), remote: pick(stats.get(pair.remoteCandidateId)) };
  }
}

/** One connection gathers every candidate it can (all policies), until gathering completes. */
async function gather({ iceServers, timeoutMs }) {
  const out = { ok: false, error: null, candidates: { pc1: [] }, candidateErrors: [], states: [] };
  const t0 = performance.now();
  const pc = new RTCPeerConnection({ iceServers });
  pc.onicecandidateerror = (e) => out.candidateErrors.push({ pc: 'pc1', url: e.url, errorCode: e.errorCode,
    errorText: e.errorText, address: e.address, port: e.port });
  const complete = new Promise((resolve) => {
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) {
        out.candidates.pc1.push(e.candidate.candidate);
      } else {
        resolve();
      }
    };
    pc.onicegatheringstatechange = () => {
      out.states.push(Math.round(performance.now() - t0) + ' gathering ' + pc.iceGatheringState);
      if (pc.iceGatheringState === 'complete') {
        resolve();
      }
    };
  });
  pc.createDataChannel('p2pnat');
  await pc.setLocalDescription(await pc.createOffer());
  const timedOut = await Promise.race([complete.then(() => false),
    new Promise((r) => setTimeout(() => r(true), timeoutMs))]);
  if (timedOut) {
    out.error = 'gathering not complete after ' + timeoutMs + ' ms: ' + pc.iceGatheringState;
  } else {
    out.ok = true;
  }
  pc.close();
  return out;
}
