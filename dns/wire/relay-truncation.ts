// Size rules for replies relayed from upstream resolvers (Mesos-DNS's resolver): they are
// passed on as the upstream sent them, unless they are too big for the client's transport.
import { HEADER_SIZE, skipName, TYPE } from './format.js';

/** Offsets in a reply: end of the questions, end of each answer, and the OPT's UDP size (0 if none); null when malformed. */
export function replyLayout(reply: Buffer): { questionEnd: number; answerEnds: number[]; optSize: number } | null {
  if (reply.length < HEADER_SIZE) return null;
  const qd = reply.readUInt16BE(4);
  const an = reply.readUInt16BE(6);
  const rest = reply.readUInt16BE(8) + reply.readUInt16BE(10);
  let offset = HEADER_SIZE;
  for (let i = 0; i < qd; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 4 > reply.length) return null;
    offset += 4;
  }
  const questionEnd = offset;
  const answerEnds: number[] = [];
  let optSize = 0;
  for (let i = 0; i < an + rest; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 10 > reply.length) return null;
    if (i >= an && reply.readUInt16BE(offset) === TYPE.OPT) optSize = Math.max(512, reply.readUInt16BE(offset + 2));
    offset += 10 + reply.readUInt16BE(offset + 8);
    if (offset > reply.length) return null;
    if (i < an) answerEnds.push(offset);
  }
  return { questionEnd, answerEnds, optSize };
}

/**
 * The reply cut to fit `limit` bytes: TC (only when `setTruncateBit`; otherwise TC is cleared even if
 * the upstream set it), no authority or additional section, and as many answers from the start as
 * keep it strictly below the limit. Answers only point backwards, so a prefix stays a valid
 * message; the authority section goes too because its names may point into dropped answers
 * (Mesos-DNS keeps it, re-packing the whole message).
 */
export function truncateReply(reply: Buffer, limit: number, setTruncateBit: boolean): Buffer {
  if (!setTruncateBit && reply.length >= 3) reply[2] = reply[2]! & ~0x02;
  if (reply.length <= limit) return reply;
  const layout = replyLayout(reply);
  let end = HEADER_SIZE;
  let answers = 0;
  let questions = 0;
  if (layout && layout.questionEnd < limit) {
    end = layout.questionEnd;
    questions = reply.readUInt16BE(4);
    for (const answerEnd of layout.answerEnds) {
      if (answerEnd >= limit) break;
      end = answerEnd;
      answers++;
    }
  }
  const out = Buffer.from(reply.subarray(0, end));
  if (setTruncateBit) out[2] = out[2]! | 0x02;
  out.writeUInt16BE(questions, 4);
  out.writeUInt16BE(answers, 6);
  out.writeUInt32BE(0, 8);
  return out;
}
