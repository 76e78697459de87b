// Publishing to a topic: POST /topics/{name}. The broadcast comes back through the socket's onmessage like any other
// message, on every transport subscribed to the topic (this page's included, when it is).

/** The topic field's name when it is one (the same rule as the server's), else undefined: no subscription. */
export function topicOf(input) {
  return input.value !== '' && input.checkValidity() ? input.value : undefined;
}

/** Publishes `text` to topic `name` and logs how many subscribers it reached, or why it was refused. */
export async function publish(name, text, log) {
  try {
    const response = await fetch(`topics/${encodeURIComponent(name)}`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: text,
    });
    const body = await response.json().catch(() => null);
    if (response.status === 202) {
      const n = body?.subscribers ?? 0;
      log.event(`published “${text}” to topic ${name} — ${n === 1 ? '1 subscriber' : `${n} subscribers`}`, 'Topics');
    } else {
      log.event(`publish refused (${response.status}) — ${body?.detail ?? response.statusText}`, 'Topics', 'error');
    }
  } catch (err) {
    log.event(`publish failed — ${err.message}`, 'Topics', 'error');
  }
}
