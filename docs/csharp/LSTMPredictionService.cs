// candlecast's HTTP API as the bot's IMLService: settings from ML_API_URL / MLService:ApiUrl, a bearer key,
// timeouts, bounded retries, POST /predict/batch for many symbols, each symbol's last `lookback` candles (what
// the model reads) with their openTime (so `candlecast monitor` joins outcomes exactly). Failures are logged and
// leave a symbol out; nothing is thrown into the bot's trading loop. Plain C# 7 on System.Net.Http and
// DataContractJsonSerializer, which Mono and .NET 8 both have; candlecast's tests compile this file with mcs
// and run it against a real `candlecast serve`.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
#if NETCOREAPP
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
#endif

namespace Candlecast.Client
{
    public sealed class MLServiceOptions
    {
        public string ApiUrl { get; set; } = "http://localhost:8000";
        /// <summary>The server's CANDLECAST_API_KEY, sent as a bearer token; none when empty.</summary>
        public string ApiKey { get; set; }
        /// <summary>Per HTTP attempt.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
        /// <summary>Tries per request for network errors, timeouts, 429 and 5xx (never for 4xx).</summary>
        public int MaxAttempts { get; set; } = 3;
        /// <summary>Wait before the second try; doubled before each later one.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);
        /// <summary>Symbols per POST /predict/batch (the server takes at most 1,000, and 1 MiB a body).</summary>
        public int BatchSize { get; set; } = 16;
        /// <summary>
        /// Largest body sent: a batch that would exceed it goes out in smaller ones (the server answers 413 over
        /// 1 MiB; a candle serialised here is ~300 bytes).
        /// </summary>
        public int MaxBodyBytes { get; set; } = 1000000;

        /// <summary>
        /// The environment wins (ML_API_URL, ML_API_KEY), then configuration (MLService:ApiUrl, MLService:ApiKey,
        /// MLService:TimeoutSeconds, MLService:MaxAttempts), then the defaults. `config` is e.g.
        /// <c>key =&gt; configuration[key]</c> with Microsoft.Extensions.Configuration; null for none.
        /// </summary>
        public static MLServiceOptions FromConfiguration(Func<string, string> config)
        {
            Func<string, string> get = name => config == null ? null : config(name);
            var options = new MLServiceOptions();
            var url = Environment.GetEnvironmentVariable("ML_API_URL");
            if (string.IsNullOrWhiteSpace(url)) url = get("MLService:ApiUrl");
            if (!string.IsNullOrWhiteSpace(url)) options.ApiUrl = url.Trim();
            var key = Environment.GetEnvironmentVariable("ML_API_KEY");
            options.ApiKey = string.IsNullOrEmpty(key) ? get("MLService:ApiKey") : key;
            double seconds;
            if (double.TryParse(get("MLService:TimeoutSeconds"), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out seconds) && seconds > 0)
            {
                options.Timeout = TimeSpan.FromSeconds(seconds);
            }
            int attempts;
            if (int.TryParse(get("MLService:MaxAttempts"), out attempts) && attempts > 0) options.MaxAttempts = attempts;
            return options;
        }
    }

    public class LSTMPredictionService : IMLService, IDisposable
    {
        private readonly MLServiceOptions _options;
        private readonly Action<string> _warn;
        private readonly HttpClient _http;
        // The served model's lookback (GET /model/info), 0 while unknown. The server reads only the last
        // `lookback` candles of a request, so only those are sent: a bot keeping 500 candles a symbol would
        // otherwise send 16 symbols in ~2.4 MB and lose all 16 to a 413. Read again after a 422 or when the
        // served version changes (a new model may look further back).
        private int _lookback;
        private string _lookbackVersion;

        /// <param name="warn">Where failures are logged (ILogger.LogWarning in the bot); stderr when null.</param>
        public LSTMPredictionService(MLServiceOptions options, Action<string> warn = null)
        {
            _options = options ?? new MLServiceOptions();
            _warn = warn ?? (message => Console.Error.WriteLine("candlecast: " + message));
            _http = new HttpClient { BaseAddress = new Uri(_options.ApiUrl.TrimEnd('/') + "/"), Timeout = _options.Timeout };
            if (!string.IsNullOrEmpty(_options.ApiKey))
            {
                _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
            }
        }

#if NETCOREAPP
        /// <summary>For `services.AddSingleton&lt;IMLService, LSTMPredictionService&gt;()` in the .NET 8 bot.</summary>
        public LSTMPredictionService(IConfiguration configuration, ILogger<LSTMPredictionService> logger)
            : this(MLServiceOptions.FromConfiguration(key => configuration[key]), m => logger.LogWarning("{Message}", m))
        {
        }
#endif

        public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            var answer = await SendAsync(HttpMethod.Get, "health", null, cancellationToken, 1).ConfigureAwait(false);
            return answer != null && answer.Item1 == HttpStatusCode.OK;
        }

        public async Task<List<MLPrediction>> MLPredList(
            IDictionary<string, IList<MLCandle>> candlesBySymbol,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var predictions = new List<MLPrediction>();
            if (candlesBySymbol == null || candlesBySymbol.Count == 0) return predictions;
            if (_lookback == 0) await ReadLookbackAsync(cancellationToken).ConfigureAwait(false);
            var requests = candlesBySymbol.Select(kv => ToWire(kv.Key, kv.Value, _lookback)).ToList();
            var refused = false;
            if (requests.Count == 1)
            {
                var one = await PostAsync<WireResponse>("predict", requests[0], requests[0].Symbol, cancellationToken,
                    SentNote(requests[0])).ConfigureAwait(false);
                if (one != null) predictions.Add(ToPrediction(one));
                else refused = true;
            }
            else
            {
                foreach (var chunk in Chunks(requests))
                {
                    var what = chunk.Count + " symbols (" + string.Join(", ", chunk.Select(r => r.Symbol)) + ")";
                    var batch = await PostAsync<WireBatchResponse>("predict/batch", new WireBatch { Requests = chunk },
                        what, cancellationToken).ConfigureAwait(false);
                    if (batch == null || batch.Predictions == null)
                    {
                        refused = true;
                        continue;
                    }
                    foreach (var p in batch.Predictions)
                    {
                        // A failed entry of a batch: {"symbol", "status", "detail"} in place of a prediction.
                        if (p.Status.HasValue || p.Prediction == null)
                        {
                            _warn(string.Format("{0}: HTTP {1}: {2}{3}", p.Symbol, p.Status, p.Detail,
                                NamesCandle(p.Status, p.Detail) ? SentNote(chunk.FirstOrDefault(r => r.Symbol == p.Symbol)) : ""));
                            refused = true;
                            continue;
                        }
                        predictions.Add(ToPrediction(p));
                    }
                }
            }
            // A refusal may be a model that now looks further back, and another version may look elsewhere:
            // the next call reads the lookback again (one small GET).
            if (refused || predictions.Any(p => p.ModelVersion != _lookbackVersion)) _lookback = 0;
            return predictions;
        }

        /// <summary>GET /model/info's lookback and version, once (no retries); left unknown (0) on any failure.</summary>
        private async Task ReadLookbackAsync(CancellationToken cancellationToken)
        {
            var answer = await SendAsync(HttpMethod.Get, "model/info", null, cancellationToken, 1).ConfigureAwait(false);
            if (answer == null || answer.Item1 != HttpStatusCode.OK) return;
            try
            {
                var info = Deserialize<WireModelInfo>(answer.Item2);
                if (info != null && info.Lookback > 0)
                {
                    _lookback = info.Lookback;
                    _lookbackVersion = info.Version;
                }
            }
            catch (Exception e) when (e is SerializationException || e is InvalidCastException || e is ArgumentException)
            {
                // an older or foreign server: send every candle, as before
            }
        }

        /// <summary>Requests in batches of at most BatchSize symbols and MaxBodyBytes (a lone larger one alone).</summary>
        private IEnumerable<List<WireRequest>> Chunks(List<WireRequest> requests)
        {
            var chunk = new List<WireRequest>();
            long bytes = 0;
            foreach (var request in requests)
            {
                long size = Encoding.UTF8.GetByteCount(Serialize(request)) + 1;
                if (chunk.Count > 0 && (chunk.Count >= Math.Max(1, _options.BatchSize) || bytes + size > _options.MaxBodyBytes))
                {
                    yield return chunk;
                    chunk = new List<WireRequest>();
                    bytes = 0;
                }
                chunk.Add(request);
                bytes += size;
            }
            if (chunk.Count > 0) yield return chunk;
        }

        public void Dispose()
        {
            _http.Dispose();
        }

        private async Task<T> PostAsync<T>(string path, object body, string what, CancellationToken cancellationToken,
            string refusalNote = "")
            where T : class
        {
            var answer = await SendAsync(HttpMethod.Post, path, Serialize(body), cancellationToken, _options.MaxAttempts)
                .ConfigureAwait(false);
            if (answer == null) return null;
            if (answer.Item1 != HttpStatusCode.OK)
            {
                var detail = DetailOf(answer.Item2);
                _warn(string.Format("{0}: HTTP {1}: {2}{3}", what, (int)answer.Item1, detail,
                    NamesCandle((int)answer.Item1, detail) ? refusalNote : ""));
                return null;
            }
            try
            {
                return Deserialize<T>(answer.Item2);
            }
            catch (Exception e) when (e is SerializationException || e is InvalidCastException || e is ArgumentException)
            {
                _warn(string.Format("{0}: unreadable response ({1})", what, e.Message));
                return null;
            }
        }

        /// <summary>Status and body, or null when every try failed on the network (each failure logged).</summary>
        private async Task<Tuple<HttpStatusCode, string>> SendAsync(
            HttpMethod method, string path, string json, CancellationToken cancellationToken, int attempts)
        {
            var delay = _options.RetryDelay;
            for (int attempt = 1; ; attempt++)
            {
                string problem;
                try
                {
                    using (var request = new HttpRequestMessage(method, path))
                    {
                        if (json != null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
                        using (var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false))
                        {
                            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                            var status = (int)response.StatusCode;
                            if ((status < 500 && status != 429) || attempt >= attempts)
                            {
                                return Tuple.Create(response.StatusCode, text);
                            }
                            problem = "HTTP " + status + ": " + DetailOf(text);
                        }
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return null; // the bot is shutting down: nothing to log
                }
                catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException || e is IOException)
                {
                    problem = e is TaskCanceledException
                        ? "no answer within " + _options.Timeout.TotalSeconds + " s"
                        : e.GetBaseException().Message;
                }
                if (attempt >= attempts)
                {
                    _warn(string.Format("{0} {1}{2} failed after {3} tries: {4}", method, _http.BaseAddress, path,
                        attempts, problem));
                    return null;
                }
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                delay = TimeSpan.FromTicks(delay.Ticks * 2);
            }
        }

        private static string DetailOf(string body)
        {
            try
            {
                var error = Deserialize<WireError>(body);
                if (error != null && !string.IsNullOrEmpty(error.Detail)) return error.Detail;
            }
            catch (Exception e) when (e is SerializationException || e is ArgumentException)
            {
                // not JSON: show the start of the body instead
            }
            return body == null ? "" : body.Length > 200 ? body.Substring(0, 200) : body;
        }

        /// <summary>The symbol's candles as sent: the last `lookback` of them when it is known (> 0), else all.</summary>
        private static WireRequest ToWire(string symbol, IList<MLCandle> candles, int lookback)
        {
            var all = candles ?? new List<MLCandle>();
            var skip = lookback > 0 ? Math.Max(0, all.Count - lookback) : 0;
            return new WireRequest
            {
                Symbol = symbol,
                Candles = all.Skip(skip).Select(c => new WireCandle
                {
                    OpenTime = c.OpenTime > 0 ? (long?)c.OpenTime : null,
                    Open = c.Open,
                    High = c.High,
                    Low = c.Low,
                    Close = c.Close,
                    Volume = c.Volume,
                    Rsi = c.Rsi,
                    Macd = c.Macd,
                    MacdSign = c.MacdSign,
                    MacdHist = c.MacdHist,
                    Ema = c.Ema,
                    StochSlowK = c.StochSlowK,
                    StochSlowD = c.StochSlowD,
                }).ToList(),
                Skipped = skip,
            };
        }

        /// <summary>Whether a refusal names a candle by its index (a 422 whose detail holds "candles[").</summary>
        private static bool NamesCandle(int? status, string detail)
        {
            return status == 422 && detail != null && detail.Contains("candles[");
        }

        /// <summary>
        /// For a 422 naming candles[i]: the server counts the candles sent, the last `lookback` of the bot's, so
        /// the bot's own index is i + Skipped ("" when nothing was left out).
        /// </summary>
        private static string SentNote(WireRequest request)
        {
            if (request == null || request.Skipped == 0) return "";
            return string.Format(" (candles[i] counts the {0} candles sent, the last of {1}: the bot's candle i + {2})",
                request.Candles.Count, request.Candles.Count + request.Skipped, request.Skipped);
        }

        private static MLPrediction ToPrediction(WireResponse r)
        {
            return new MLPrediction
            {
                Symbol = r.Symbol,
                PredictedLabel = r.Prediction,
                Confidence = r.Confidence,
                ExpectedReturn = r.ExpectedReturn,
                TrendScore = r.TrendScore,
                Probabilities = new Dictionary<string, double>(
                    r.Probabilities ?? new Dictionary<string, double>(), LabelComparer.Instance),
                ModelVersion = r.ModelVersion,
            };
        }

        /// <summary>
        /// Class labels compared as the bot is likely to spell them: "sideways", "SIDEWAYS" (PredictedLabel as
        /// given) and, on a Turkish-culture host, "SIDEWAYS".ToLower() = "sıdeways" (dotless ı) or "İ" from
        /// ToUpper(): an ordinal key found none of the last three, a KeyNotFoundException in the trading loop.
        /// </summary>
        private sealed class LabelComparer : IEqualityComparer<string>
        {
            public static readonly LabelComparer Instance = new LabelComparer();

            private static string Fold(string s)
            {
                return s == null ? null : s.Replace('\u0130', 'I').Replace('\u0131', 'i').ToLowerInvariant();
            }

            public bool Equals(string a, string b)
            {
                return string.Equals(Fold(a), Fold(b), StringComparison.Ordinal);
            }

            public int GetHashCode(string s)
            {
                return s == null ? 0 : StringComparer.Ordinal.GetHashCode(Fold(s));
            }
        }

        private static readonly DataContractJsonSerializerSettings JsonSettings =
            new DataContractJsonSerializerSettings { UseSimpleDictionaryFormat = true };

        private static string Serialize(object value)
        {
            using (var stream = new MemoryStream())
            {
                new DataContractJsonSerializer(value.GetType(), JsonSettings).WriteObject(stream, value);
                return Encoding.UTF8.GetString(stream.ToArray());
            }
        }

        private static T Deserialize<T>(string json) where T : class
        {
            using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(json ?? "")))
            {
                return new DataContractJsonSerializer(typeof(T), JsonSettings).ReadObject(stream) as T;
            }
        }

        [DataContract]
        private sealed class WireCandle
        {
            [DataMember(Name = "openTime", EmitDefaultValue = false, Order = 0)] public long? OpenTime;
            [DataMember(Name = "open", Order = 1)] public double Open;
            [DataMember(Name = "high", Order = 2)] public double High;
            [DataMember(Name = "low", Order = 3)] public double Low;
            [DataMember(Name = "close", Order = 4)] public double Close;
            [DataMember(Name = "volume", Order = 5)] public double Volume;
            [DataMember(Name = "rsi", Order = 6)] public double Rsi;
            [DataMember(Name = "macd", Order = 7)] public double Macd;
            [DataMember(Name = "macdSign", Order = 8)] public double MacdSign;
            [DataMember(Name = "macdHist", Order = 9)] public double MacdHist;
            [DataMember(Name = "ema", Order = 10)] public double Ema;
            [DataMember(Name = "stochSlowK", Order = 11)] public double StochSlowK;
            [DataMember(Name = "stochSlowD", Order = 12)] public double StochSlowD;
        }

        [DataContract]
        private sealed class WireRequest
        {
            [DataMember(Name = "symbol", Order = 0)] public string Symbol;
            [DataMember(Name = "candles", Order = 1)] public List<WireCandle> Candles;
            // Not sent: how many of the bot's older candles were left out, so a 422's candles[i] can be told
            // in the bot's own numbering.
            public int Skipped;
        }

        [DataContract]
        private sealed class WireBatch
        {
            [DataMember(Name = "requests")] public List<WireRequest> Requests;
        }

        [DataContract]
        private sealed class WireResponse
        {
            [DataMember(Name = "symbol")] public string Symbol;
            [DataMember(Name = "prediction")] public string Prediction;
            [DataMember(Name = "confidence")] public double Confidence;
            [DataMember(Name = "probabilities")] public Dictionary<string, double> Probabilities;
            [DataMember(Name = "expected_return")] public double ExpectedReturn;
            [DataMember(Name = "trend_score")] public int TrendScore;
            [DataMember(Name = "model_version")] public string ModelVersion;
            [DataMember(Name = "status")] public int? Status;
            [DataMember(Name = "detail")] public string Detail;
        }

        [DataContract]
        private sealed class WireBatchResponse
        {
            [DataMember(Name = "predictions")] public List<WireResponse> Predictions;
        }

        [DataContract]
        private sealed class WireModelInfo
        {
            [DataMember(Name = "lookback")] public int Lookback;
            [DataMember(Name = "version")] public string Version;
        }

        [DataContract]
        private sealed class WireError
        {
            [DataMember(Name = "detail")] public string Detail;
        }
    }
}
