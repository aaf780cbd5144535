/**
 * The one base of ara-server's typed errors. Every error a surface answers has a stable `code`
 * (kebab-case: the last part of a problem type, `urn:ara-server:problem:<code>`) and the HTTP
 * status that fits. Each surface turns them into its own answer in one place: the Asterisk
 * surface into what Asterisk reads (http/asterisk/answer.ts), the others into problem JSON
 * (http/problem.ts).
 */
export abstract class AraError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
