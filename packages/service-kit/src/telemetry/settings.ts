import { z } from 'zod';

/** What `startTelemetry` does, decided from the standard OTEL_* variables alone. */
export type TelemetrySettings =
  | { enabled: false }
  | {
      enabled: true;
      serviceName: string;
      exporters: TraceExporterKind[];
      /** How spans travel to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. */
      protocol: OtlpProtocol;
    };

export type TraceExporterKind = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

const blankAsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const exporterList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim().toLowerCase()))
  .pipe(
    z.array(z.enum(['otlp', 'console', 'none'], { message: 'expected otlp, console or none' })),
  );

// grpc is refused rather than silently ignored: only the HTTP exporters are installed.
const protocol = z.enum(['http/protobuf', 'http/json'], {
  message: 'expected http/protobuf or http/json',
});

// The samplers the SDK builds from OTEL_TRACES_SAMPLER; it reads the variable itself, but falls back
// to always-on without a word for any other value, so a typo is refused here instead.
const sampler = z.enum(
  [
    'always_on',
    'always_off',
    'traceidratio',
    'parentbased_always_on',
    'parentbased_always_off',
    'parentbased_traceidratio',
  ],
  { message: 'expected always_on, always_off, traceidratio or one of them as parentbased_...' },
);

const envSchema = z.object({
  OTEL_SDK_DISABLED: z.preprocess(blankAsUnset, z.enum(['true', 'false']).optional()),
  OTEL_TRACES_EXPORTER: z.preprocess(blankAsUnset, exporterList.optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(blankAsUnset, z.url().optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(blankAsUnset, z.url().optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(blankAsUnset, protocol.optional()),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(blankAsUnset, protocol.optional()),
  OTEL_SERVICE_NAME: z.preprocess(blankAsUnset, z.string().optional()),
  OTEL_TRACES_SAMPLER: z.preprocess(blankAsUnset, sampler.optional()),
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ message: 'expected a ratio from 0 to 1' })
      .min(0, { message: 'expected a ratio from 0 to 1' })
      .max(1, { message: 'expected a ratio from 0 to 1' })
      .optional(),
  ),
});

export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
}

/**
 * Tracing is on when an exporter is asked for (OTEL_TRACES_EXPORTER) or an OTLP endpoint is set;
 * otherwise the SDK is not even loaded, so a service without a collector pays nothing and logs
 * nothing about it. OTEL_SDK_DISABLED=true wins over everything, as the specification says.
 */
export function telemetrySettings(
  env: Record<string, string | undefined>,
  service: string,
): TelemetrySettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TelemetryConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const vars = parsed.data;
  if (vars.OTEL_SDK_DISABLED === 'true') return { enabled: false };
  const endpointSet = Boolean(
    vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? vars.OTEL_EXPORTER_OTLP_ENDPOINT,
  );
  const asked = vars.OTEL_TRACES_EXPORTER ?? (endpointSet ? ['otlp'] : []);
  const exporters = [...new Set(asked.filter((kind) => kind !== 'none'))] as TraceExporterKind[];
  if (asked.includes('none') || exporters.length === 0) return { enabled: false };
  return {
    enabled: true,
    serviceName: vars.OTEL_SERVICE_NAME ?? service,
    exporters,
    protocol:
      vars.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
      vars.OTEL_EXPORTER_OTLP_PROTOCOL ??
      'http/protobuf',
  };
}
