/**
 * One request's audit event through its stages, as upstream's WithAudit
 * filter and its response writer:
 *
 *   RequestReceived   when the request arrives (after authentication);
 *   ResponseStarted   when the status code is known — sent only for
 *                     long-running requests (watch, exec, attach,
 *                     portforward, proxy, log), whose body takes long;
 *   ResponseComplete  when the response has ended;
 *   Panic             instead of ResponseComplete, when the handler failed
 *                     with something that is not a Status (a bug).
 *
 * Stages the policy omits are skipped. The sink is handed the event at each
 * stage and must copy what it keeps before it returns (the event goes on
 * changing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../authentication.js';
import { levelFor, type AuditAttributes, type Policy, type RequestAuditConfig } from './policy.js';
import { newAuditEvent, microTime, nowMicros, type AuditEvent, type AuditResponseStatus } from './event.js';

export interface AuditSink {
  /**
   * Takes events; serializes or copies them before returning. False means
   * they could not be stored (only a blocking-strict backend says so); a
   * promise resolves once they are written (blocking modes).
   */
  processEvents(...events: AuditEvent[]): boolean | Promise<boolean>;
}

export class RequestAudit {
  private codeRecorded = false;
  /** ResponseComplete, Panic or a failed authentication has been recorded: the event is over. */
  private ended = false;

  constructor(
    readonly event: AuditEvent,
    readonly config: RequestAuditConfig,
    private readonly sink: AuditSink,
    private readonly longRunning: boolean,
  ) {}

  private process(): boolean | Promise<boolean> {
    const event = this.event;
    if (this.config.omitStages.includes(event.stage)) return true;
    event.stageTimestamp = event.stage === 'RequestReceived' ? event.requestReceivedTimestamp : microTime(nowMicros());
    return this.sink.processEvents(event);
  }

  /**
   * The RequestReceived stage. False when the sink could not store it: the
   * request is then answered 500 ("failed to store audit event") and not served.
   */
  async requestReceived(): Promise<boolean> {
    this.event.stage = 'RequestReceived';
    return this.process();
  }

  /**
   * The status code is known: at writeHead, at the first body write (200),
   * or 101 before a connection upgrade. Only the first call counts; a
   * long-running request sends its ResponseStarted event now.
   */
  async responseStarted(code: number): Promise<void> {
    if (this.codeRecorded || this.ended) return;
    this.codeRecorded = true;
    this.event.responseStatus ??= { metadata: {} };
    this.event.responseStatus.code = code;
    this.event.stage = 'ResponseStarted';
    if (this.longRunning) await this.process();
  }

  /** The response has ended (or the connection closed). */
  async responseComplete(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // Nothing was written: upstream records a success, "Connection closed early".
    const closedEarly = (): AuditResponseStatus => ({ metadata: {}, status: 'Success', message: 'Connection closed early', code: 200 });
    if (!this.event.responseStatus && this.longRunning) {
      this.event.responseStatus = closedEarly();
      this.event.stage = 'ResponseStarted';
      await this.process();
    }
    this.event.stage = 'ResponseComplete';
    this.event.responseStatus ??= closedEarly();
    await this.process();
  }

  /** The handler failed with an unexpected error: the Panic stage replaces ResponseComplete. */
  async panic(error: unknown): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.event.stage = 'Panic';
    const message = error instanceof Error ? error.message : String(error);
    this.event.responseStatus = { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${message}`, reason: 'InternalError', code: 500 };
    await this.process();
  }

  /**
   * A request that failed authentication (upstream's WithFailedAuthenticationAudit):
   * one ResponseStarted event with the 401 and which credentials were tried.
   */
  async authenticationFailed(message: string, code = 401): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.codeRecorded = true;
    this.event.responseStatus = { metadata: {}, message, code };
    this.event.stage = 'ResponseStarted';
    await this.process();
  }
}

/**
 * Follows a response for its stages: its status code when the headers go out
 * (Node writes implicit headers through writeHead too), ResponseComplete when
 * the response is over or its connection closed. Upgrades (exec, attach,
 * port-forward) write 101 on the socket: call responseStarted(101) for them.
 * Call panic() before the response ends for a failure that is not a Status.
 */
export function followResponse(audit: RequestAudit, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    void audit.responseStarted(args[0] as number);
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  res.once('close', () => void audit.responseComplete());
}

export interface BeginRequestAuditInput {
  policy: Pick<Policy, 'rules' | 'omitStages' | 'omitManagedFields'>;
  sink: AuditSink;
  /** The policy's attributes, with the authenticated user (none when authentication failed). */
  attributes: AuditAttributes;
  user?: UserInfo;
  auditID: string;
  requestURI: string;
  userAgent?: string;
  sourceIPs: string[];
  receivedAtMicros?: number;
  /** Upstream's long-running check (max-in-flight.ts isLongRunning). */
  longRunning: boolean;
}

/** Evaluates the policy for a request; undefined when it is not audited (level None). */
export function beginRequestAudit(input: BeginRequestAuditInput): RequestAudit | undefined {
  const config = levelFor(input.policy, input.attributes);
  if (config.level === 'None') return undefined;
  const event = newAuditEvent({ ...input, level: config.level });
  return new RequestAudit(event, config, input.sink, input.longRunning);
}

/** Which credentials a request that failed authentication presented, in upstream's words. */
export function authenticationFailureMessage(req: Pick<IncomingMessage, 'headers' | 'url' | 'socket'>): string {
  const methods: string[] = [];
  const authorization = (req.headers.authorization ?? '').trim();
  if (/^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    if (decoded.includes(':')) methods.push('basic');
  }
  const parts = authorization.split(' ');
  if (parts.length > 1 && parts[0].toLowerCase() === 'bearer') methods.push('bearer');
  const query = new URL(req.url ?? '/', 'http://audit').searchParams;
  if ((query.get('access_token') ?? '').trim()) methods.push('access_token');
  const socket = req.socket as Partial<TLSSocket>;
  const certificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (certificate && Object.keys(certificate).length > 0) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}
