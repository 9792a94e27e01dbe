/**
 * A body that came through an SNS subscription without raw message delivery
 * is wrapped in SNS's envelope; this returns the message inside it, and any
 * other body unchanged.
 */
const unwrapSns = (body: string): string => {
  if (!body.startsWith('{') || !body.includes('"TopicArn"')) return body;
  try {
    const envelope = JSON.parse(body) as { Type?: unknown; Message?: unknown };
    return envelope.Type === 'Notification' && typeof envelope.Message === 'string'
      ? envelope.Message
      : body;
  } catch {
    return body;
  }
};

export { unwrapSns };
