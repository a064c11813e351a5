// Messages between threads in batches: the items of one event-loop turn cross in one message, one wake-up.

/** What {@link turnBatch} returns: add items; drop those not yet posted. */
export type TurnBatch<T> = { add(item: T, transfer?: ArrayBuffer): void; clear(): void };

/**
 * Collects items and posts them together once the current event-loop turn's I/O is handled
 * (`setImmediate`): under load, many requests arrive in one turn and cost one message.
 *
 * @example
 * const replies = turnBatch<Reply>((items, transfer) => port.postMessage({ replies: items }, transfer));
 * replies.add({ id, body }, body.buffer);
 */
export function turnBatch<T>(post: (items: T[], transfer: ArrayBuffer[]) => void): TurnBatch<T> {
  let items: T[] = [];
  let transfer: ArrayBuffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const [sent, moved] = [items, transfer];
    [items, transfer] = [[], []];
    if (sent.length > 0) post(sent, moved);
  };
  return {
    add(item, buffer) {
      items.push(item);
      if (buffer) transfer.push(buffer);
      if (!scheduled) (scheduled = true), setImmediate(flush);
    },
    clear: () => void ([items, transfer] = [[], []]),
  };
}
