// `node --import @rgb/kit/tracing-register <entry>`: starts tracing for the whole process before
// the entry imports anything the instrumentations patch. Without an exporter configured it does
// nothing. OTEL_SERVICE_NAME names the process; the launcher sets it per process.
import { startTracing } from './tracing';

await startTracing({ serviceName: 'rgb-platform' });
