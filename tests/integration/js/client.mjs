// What the imapflow scripts share: loading imapflow from where `npm ci` put it, connection
// options, a protocol transcript, bounded waits and the JSON report test_imap_imapflow.py reads.
//
// The packages are installed outside the source tree (tools/lib/deps.sh, tessera_js_deps), so
// imapflow is loaded from TESSERA_JS_DEPS rather than by a bare `import 'imapflow'`, which Node
// resolves only next to this file.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const deps = process.env.TESSERA_JS_DEPS;
if (!deps) throw new Error('TESSERA_JS_DEPS is not set (the directory holding node_modules)');
export const { ImapFlow } = createRequire(join(deps, 'package.json'))('imapflow');

// Every protocol line of every connection, "C1 a.b.c LINE" / "S1 ...", for the failure report.
export const transcript = [];
// Commands the server answered NO or BAD: { connection, command, reply }.
export const rejected = [];
// Per connection: 'sent' once IDLE is sent, 'accepted' once the server's "+" has come back.
const idleState = new Map();
export const idleAccepted = name => idleState.get(name) === 'accepted';

function transcriptLogger(name) {
  const commands = new Map();  // tag -> command line
  const record = entry => {
    if (!entry || (entry.src !== 'c' && entry.src !== 's') || typeof entry.msg !== 'string') return;
    const line = entry.msg;
    transcript.push(`${entry.src === 'c' ? 'C' : 'S'}${name} ${line}`);
    const [tag, word] = line.split(' ', 2);
    if (entry.src === 'c') {
      commands.set(tag, line);
      if (/^IDLE$/i.test(line.slice(tag.length + 1))) idleState.set(name, 'sent');
      if (line === 'DONE') idleState.set(name, 'done');
    } else if (tag === '+' && idleState.get(name) === 'sent') {
      idleState.set(name, 'accepted');
    } else if (commands.has(tag) && (word === 'NO' || word === 'BAD')) {
      rejected.push({ connection: name, command: commands.get(tag), reply: line });
    }
  };
  return { trace: record, debug: record, info: record, warn: record, error: record, fatal: record };
}

// A client for the account given in the environment: implicit TLS to 127.0.0.1 with the test's
// self-signed certificate, QRESYNC asked for (imapflow sends ENABLE QRESYNC after login).
export function client(name, options = {}) {
  return new ImapFlow({
    host: process.env.IMAP_HOST || '127.0.0.1',
    port: Number(process.env.IMAP_PORT),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: process.env.IMAP_USER, pass: process.env.IMAP_PASS },
    qresync: true,
    logger: transcriptLogger(name),
    connectionTimeout: 10000,
    greetingTimeout: 10000,
    socketTimeout: 30000,
    ...options,
  });
}

// Resolves with the value `probe()` returns once it is truthy, polling every 10 ms; null after
// `ms` milliseconds.
export async function waitFor(probe, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() >= deadline) return null;
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

// Runs `main`, prints its result as one JSON line (BigInt as strings, Set as arrays), with the
// commands the server rejected under "rejected", and exits 0;
// on an exception prints it with the transcript to stderr and exits 1. A watchdog ends a run that
// hangs.
export function run(main, limitMs = 40000) {
  const watchdog = setTimeout(() => {
    process.stderr.write(`timed out after ${limitMs} ms\n${transcript.join('\n')}\n`);
    process.exit(2);
  }, limitMs);
  main().then(
    result => {
      clearTimeout(watchdog);
      const json = JSON.stringify({ ...result, rejected }, (key, value) =>
        typeof value === 'bigint' ? value.toString() : value instanceof Set ? [...value] : value);
      process.stdout.write(json + '\n');
      if (process.env.IMAPFLOW_TRANSCRIPT) process.stderr.write(transcript.join('\n') + '\n');
      process.exit(0);
    },
    err => {
      clearTimeout(watchdog);
      process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
      if (err && err.response) process.stderr.write(`server: ${JSON.stringify(err.response)}\n`);
      process.stderr.write(transcript.join('\n') + '\n');
      process.exit(1);
    });
}
