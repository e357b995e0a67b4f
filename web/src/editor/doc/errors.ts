/** An operation or command that does not apply; `message` is a sentence for the builder. */
export class OpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpError';
  }
}
