// imapflow's CONDSTORE/QRESYNC resynchronisation (RFC 7162), in two runs with other clients'
// changes between them, as a mail app that is closed and opened again:
//   node qresync.mjs snapshot
//     connect, open INBOX, report capabilities, what was enabled, UIDVALIDITY, HIGHESTMODSEQ and
//     every message's UID, flags and MODSEQ; log out.
//   node qresync.mjs resync UIDVALIDITY MODSEQ [UID_CHANGED UID_UNCHANGED]
//     connect, SELECT INBOX (QRESYNC (UIDVALIDITY MODSEQ)) through mailboxOpen() and report the
//     'flags' and 'expunge' events it gave; then UID FETCH 1:* CHANGEDSINCE MODSEQ VANISHED and
//     report those; then STORE UNCHANGEDSINCE MODSEQ on a message changed since (must not apply)
//     and on one unchanged since (must apply), reporting the flags each ends with.
import { client, run } from './client.mjs';

function listen(imap) {
  const events = { flags: [], expunge: [] };
  imap.on('flags', e => events.flags.push({ uid: e.uid, flags: e.flags, modseq: e.modseq }));
  imap.on('expunge', e =>
    events.expunge.push({ uid: e.uid, seq: e.seq, vanished: e.vanished, earlier: e.earlier }));
  return events;
}

function take(events) {
  const copy = JSON.parse(JSON.stringify(events, (k, v) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Set ? [...v] : v));
  for (const key of Object.keys(events)) events[key].length = 0;
  return copy;
}

async function snapshot() {
  const imap = client('1', { disableAutoIdle: true });
  await imap.connect();
  const mailbox = await imap.mailboxOpen('INBOX');
  const messages = [];
  for await (const m of imap.fetch('1:*', { uid: true, flags: true }))
    messages.push({ uid: m.uid, flags: m.flags, modseq: m.modseq });
  const result = {
    capabilities: [...imap.capabilities.keys()],
    enabled: [...imap.enabled],
    uidValidity: mailbox.uidValidity,
    highestModseq: mailbox.highestModseq,
    exists: mailbox.exists,
    uidNext: mailbox.uidNext,
    messages,
  };
  await imap.logout();
  return result;
}

async function resync(uidValidity, modseq, changedUid, unchangedUid) {
  const imap = client('1', { disableAutoIdle: true });
  const events = listen(imap);
  await imap.connect();
  const mailbox = await imap.mailboxOpen('INBOX', { uidValidity, changedSince: modseq });
  const select = { qresync: mailbox.qresync, exists: mailbox.exists, uidNext: mailbox.uidNext,
                   highestModseq: mailbox.highestModseq, ...take(events) };
  const fetched = [];
  for await (const m of imap.fetch('1:*', { uid: true, flags: true, envelope: true },
                                   { uid: true, changedSince: BigInt(modseq) }))
    fetched.push({ uid: m.uid, flags: m.flags, modseq: m.modseq, subject: m.envelope.subject });
  const fetch = { messages: fetched, ...take(events) };
  let conditional = null;
  if (changedUid && unchangedUid) {
    const stale = { uid: true, unchangedSince: BigInt(modseq) };
    await imap.messageFlagsAdd(changedUid, ['$Conflict'], stale);
    await imap.messageFlagsAdd(unchangedUid, ['$Conflict'], stale);
    const flagsOf = async uid => (await imap.fetchOne(uid, { flags: true }, { uid: true })).flags;
    conditional = { changed: await flagsOf(changedUid), unchanged: await flagsOf(unchangedUid) };
  }
  const enabled = [...imap.enabled];
  await imap.logout();
  return { enabled, select, fetch, conditional };
}

const [command, ...args] = process.argv.slice(2);
if (command === 'snapshot') run(snapshot);
else if (command === 'resync') run(() => resync(...args));
else {
  process.stderr.write('usage: qresync.mjs snapshot | resync UIDVALIDITY MODSEQ [UID UID]\n');
  process.exit(64);
}
