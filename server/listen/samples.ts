/** The listener's stats as /metrics samples (Prometheus). */
import type { Sample } from "../metrics.ts";
import type { ListenStats } from "./settings.ts";

export function listenSamples(s: ListenStats): Sample[] {
  return [
    gauge("candlecast_http_open_connections", "Client connections open now.", s.openConnections),
    gauge(
      "candlecast_http_in_flight_requests",
      "Requests being handled now (/health not counted).",
      s.inFlight,
    ),
    // Apart from in flight: a client holding many bodies half-sent shows here, not as requests handled.
    gauge(
      "candlecast_http_uploading_requests",
      "Requests admitted whose body is still arriving (not yet in flight).",
      s.uploading,
    ),
    counter(
      "candlecast_http_connections_dropped_total",
      "Connections closed on accept because --max-connections were open.",
      s.connectionsDropped,
    ),
    counter(
      "candlecast_http_requests_shed_total",
      "Requests answered 503 because --max-in-flight were being handled.",
      s.requestsShed,
    ),
    counter(
      "candlecast_http_read_timeouts_total",
      "Connections cut for sending too slowly, or for reading none of their answers.",
      s.timeouts,
    ),
    counter(
      "candlecast_http_client_errors_total",
      "Connections cut for a malformed request, a socket error, or a client closing mid-request.",
      s.clientErrors,
    ),
    counter(
      "candlecast_http_accept_errors_total",
      "Errors accepting connections, survived.",
      s.acceptErrors,
    ),
  ];
}

const gauge = (name: string, help: string, value: number): Sample => ({ name, help, type: "gauge", value });
const counter = (name: string, help: string, value: number): Sample => ({
  name,
  help,
  type: "counter",
  value,
});
