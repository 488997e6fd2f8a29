import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Labels are closed sets chosen by code (route patterns, status codes, engine names, queue names);
 * nothing from a request, a message or a row is ever a label value.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route'>;
  dbUp: Gauge<'engine'>;
  migrationsPending: Gauge;
  jobsProcessed: Counter<'queue' | 'outcome'>;
  workersActive: Gauge;
  auditUnsealed: Gauge;
  auditSealLag: Histogram;
  gatewayReceived: Counter<'transport' | 'outcome'>;
  gatewayProcessed: Counter<'outcome'>;
  gatewayAckSeconds: Histogram<'transport'>;
  gatewayProcessSeconds: Histogram;
  gatewayBatchRedone: Counter;
  gatewayFeedStale: Gauge<'source'>;
  gatewayBacklog: Gauge<'state'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'vigil_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    dbUp: new Gauge({ name: 'vigil_database_up', help: '1 when the last database check succeeded.', labelNames: ['engine'], registers: [registry] }),
    migrationsPending: new Gauge({ name: 'vigil_migrations_pending', help: 'Migrations known to this build but not applied.', registers: [registry] }),
    jobsProcessed: new Counter({
      name: 'vigil_jobs_processed_total',
      help: 'Background jobs finished, by queue and outcome (done, retry, dead).',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    workersActive: new Gauge({ name: 'vigil_workers_active', help: 'Worker processes with a recent heartbeat.', registers: [registry] }),
    auditUnsealed: new Gauge({ name: 'vigil_audit_unsealed_events', help: 'Audit events written but not yet sealed into the log.', registers: [registry] }),
    auditSealLag: new Histogram({
      name: 'vigil_audit_seal_lag_seconds',
      help: 'Time from an audit event being recorded to its seal.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    gatewayReceived: new Counter({
      name: 'vigil_gateway_received_total',
      help: 'Messages received by the gateway, by transport and outcome (accepted, duplicate, quarantined, refused).',
      labelNames: ['transport', 'outcome'],
      registers: [registry],
    }),
    gatewayProcessed: new Counter({
      name: 'vigil_gateway_processed_total',
      help: 'Inbox messages worked on, by outcome (processed, parked, retrying, dead-letter, quarantined).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    gatewayAckSeconds: new Histogram({
      name: 'vigil_gateway_ack_seconds',
      help: 'Time from a message arriving to its acknowledgment being sent (durable before acknowledged).',
      labelNames: ['transport'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    gatewayProcessSeconds: new Histogram({
      name: 'vigil_gateway_process_seconds',
      help: 'Time to normalize and persist one inbox message.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    gatewayBatchRedone: new Counter({
      name: 'vigil_gateway_batches_redone_total',
      help: 'Inbox batches rolled back because a message failed without a savepoint, and worked again with one per message.',
      registers: [registry],
    }),
    gatewayFeedStale: new Gauge({ name: 'vigil_gateway_feed_stale', help: '1 while a feed has missed its expected cadence.', labelNames: ['source'], registers: [registry] }),
    gatewayBacklog: new Gauge({ name: 'vigil_gateway_backlog', help: 'Inbox messages by state awaiting work or a person.', labelNames: ['state'], registers: [registry] }),
  };
}
