// The page's log: one <li> per sent message, received message or socket event, newest last.
import { timestamp } from './format.js';

const MAX_ENTRIES = 500; // older entries are dropped so a long session cannot grow the DOM without bound
const arrows = { sent: '↑ sent', received: '↓ received', event: '• event' };

/**
 * @param {HTMLElement} box the log's scroll box, holding the list of entries (an <ol>)
 * @param {(count: number) => void} onChange told the number of entries after every change
 */
export function createLog(box, onChange = () => {}) {
  const list = box.querySelector('ol');
  function add(direction, text, via, kind) {
    const now = new Date();
    const entry = document.createElement('li');
    entry.className = 'entry';
    entry.dataset.direction = direction;
    if (kind) entry.dataset.kind = kind;

    const time = document.createElement('time');
    time.dateTime = now.toISOString();
    time.textContent = timestamp(now);
    const arrow = span('direction', arrows[direction]);
    const body = span('text', text);
    const transport = span('via', via);
    entry.append(time, arrow, body, transport);

    // Follow new entries only while the reader is already at the bottom, so scrolling back to read is not undone.
    const following = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    list.append(entry);
    while (list.childElementCount > MAX_ENTRIES) list.firstElementChild.remove();
    if (following) box.scrollTop = box.scrollHeight;
    onChange(list.childElementCount);
  }

  return {
    sent: (text, via) => add('sent', text, via),
    received: (text, via) => add('received', text, via),
    event: (text, via, kind) => add('event', text, via, kind),
    clear() {
      list.replaceChildren();
      onChange(0);
    },
  };
}

function span(className, text) {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}
