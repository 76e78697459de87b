// The comparison panel: its form starts a run over every transport on both of the app's protocols (compare.js), its
// status line follows the run, and the result goes to the table and charts (compare-view.js).
import { runProtocols } from './compare.js';
import { showComparison } from './compare-view.js';
import { el } from './dom.js';

/**
 * @param {object} ui the form, its fields (echoes, pushSeconds, pushInterval), the run button, the status line, the
 *   heading's protocols (over) and the targets of the table, charts and summary (compared)
 * @param {object} deps
 * @param {readonly object[]} deps.transports
 * @param {Function} deps.createSocket
 * @param {ReturnType<import('./log.js').createLog>} deps.log
 * @param {() => object} deps.connect options every socket of the run gets (the short-polling interval)
 * @param {() => void} deps.done told when a run ended, either way
 */
export function createComparePanel(ui, { transports: offered, createSocket, log, connect, done }) {
  ui.form.addEventListener('submit', (e) => { e.preventDefault(); compare(); });
  // A transport the list marks optional (auto: it rides the others) runs only when its box is ticked.
  const include = new Map(offered.filter((t) => t.optional).map((t) => {
    const box = el('input', { type: 'checkbox' });
    box.dataset.testid = `compare-include-${t.id}`;
    ui.optional?.append(el('label', { className: 'include' }, box, ` Include ${t.label}`));
    return [t.id, box];
  }));

  async function compare() {
    const transports = offered.filter((t) => !include.has(t.id) || include.get(t.id).checked);
    ui.run.disabled = true;
    ui.status.dataset.state = 'running';
    const started = performance.now();
    const workload = `${ui.echoes.valueAsNumber} echoes, then ${ui.pushSeconds.valueAsNumber} s of push every ${ui.pushInterval.valueAsNumber} ms`;
    log.event(`comparison run started: ${workload}`, 'Comparison');
    let leg = null;
    try {
      const sets = await runProtocols({
        onLeg: (next) => { leg = next; },
        transports,
        createSocket,
        echoes: ui.echoes.valueAsNumber,
        pushSeconds: ui.pushSeconds.valueAsNumber,
        pushIntervalMs: ui.pushInterval.valueAsNumber,
        connect: connect(),
        onProgress: ({ transport: t, phase, done: n, total }) => {
          const step = phase === 'done' ? 'done' : phase === 'echo' ? `echo ${n + 1} of ${total}` : `push tick ${n + 1} of ${total}`;
          ui.status.textContent = `${leg.protocol.text} · ${t.label}: ${step}`;
        },
      });
      showComparison(ui.compared, sets);
      const seconds = Math.round((performance.now() - started) / 1000);
      const over = sets.filter((s) => s.results).map((s) => s.protocol.text).join(' and ');
      ui.over.textContent = `over ${over}`;
      const missing = sets.filter((s) => s.problem).map(legProblem);
      ui.status.textContent = `Done in ${seconds} s: ${workload}, over ${transports.map((t) => t.label).join(', ')}, on ${over}.`
        + (missing.length ? ` ${missing.join(' ')}` : '');
      ui.status.dataset.state = missing.length ? 'partial' : 'done';
      log.event(`comparison run finished in ${seconds} s${missing.length ? ` — ${missing.join(' ')}` : ''}`, 'Comparison',
        missing.length ? 'warning' : undefined);
    } catch (err) {
      ui.status.textContent = `The run failed: ${err.message}`;
      ui.status.dataset.state = 'error';
      log.event(`comparison run failed — ${err.message}`, 'Comparison', 'error');
    } finally {
      ui.run.disabled = false;
      done();
    }
  }
}

// The sentence that names a leg with no figures and why (the note beside its table says what to do).
function legProblem({ protocol, base, problem }) {
  const origin = new URL(base).origin;
  const why = {
    certificate: `the browser has not accepted the certificate of ${origin} yet`,
    'mixed-content': `a page on HTTPS may not call ${origin} (mixed content)`,
    failed: problem.message,
  }[problem.kind];
  return `${protocol.text} was not measured: ${why}.`;
}
