// Typed errors with stable codes. Every area derives its own errors from GatehouseError so callers
// (the CLI, the HTTP APIs) can map codes to exit statuses and responses without parsing messages.

export class GatehouseError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
