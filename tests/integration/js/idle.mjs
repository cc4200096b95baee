// IDLE as imapflow uses it (RFC 2177): client A opens INBOX and idles on its own (auto-IDLE after
// 100 ms without commands); client B appends a message, flags it and deletes it, each time once
// the server has answered A's IDLE with "+". For each change the report has the event A heard and
// the milliseconds from B sending the command to A hearing it (null: not within 3 s).
//   node idle.mjs
import { client, idleAccepted, run, waitFor } from './client.mjs';

const MESSAGE = 'From: Bob <bob@example.test>\r\nTo: ann@example.test\r\n' +
  'Subject: Are you there?\r\n\r\nPing.\r\n';

async function idle() {
  const b = client('B', { disableAutoIdle: true });
  await b.connect();
  await b.mailboxOpen('INBOX');
  const a = client('A', { autoIdleDelay: 100 });
  const heard = [];
  for (const name of ['exists', 'flags', 'expunge'])
    a.on(name, e => heard.push({ name, at: performance.now(), event: e }));
  await a.connect();
  const opened = await a.mailboxOpen('INBOX');
  const result = { exists_before: opened.exists };

  // One change by B, then the first event of `name` A hears after it.
  const change = async (name, action) => {
    const idling = Boolean(await waitFor(() => a.idling && idleAccepted('A'), 5000));
    const from = heard.length;
    const started = performance.now();
    const outcome = await action();
    const got = await waitFor(() => heard.slice(from).find(h => h.name === name), 3000);
    return { idling, outcome, ms: got ? got.at - started : null, event: got ? got.event : null,
             others: heard.slice(from).filter(h => h !== got).map(h => h.name) };
  };

  result.exists = await change('exists', () => b.append('INBOX', MESSAGE));
  const uid = String(result.exists.outcome.uid);
  result.flags = await change('flags', () => b.messageFlagsAdd(uid, ['\\Flagged'], { uid: true }));
  result.expunge = await change('expunge', () => b.messageDelete(uid, { uid: true }));
  result.still_idling = Boolean(a.idling && idleAccepted('A'));
  await b.logout();
  await a.logout();
  return result;
}

run(idle);
