// Drives LSTMPredictionService against a running `candlecast serve` for client_test.ts:
//   mono check.exe URL KEY   → prints HEALTHY/PRED/WARN/DONE lines the test reads.
// Not part of the bot; it exercises every path the bot relies on, including the failing ones.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Candlecast.Client;

public static class ClientCheck
{
    const long Start = 1700000000000L; // 2023-11-14T22:13:20Z, on the hour grid below
    const long Hour = 3600000L;

    static IList<MLCandle> Candles(int n, int seed, bool broken = false)
    {
        var random = new Random(seed);
        var candles = new List<MLCandle>();
        double close = 40000 + seed * 1000, ema = close;
        for (int i = 0; i < n; i++)
        {
            double open = close;
            close = open * (1 + (random.NextDouble() - 0.5) * 0.02);
            double macd = (random.NextDouble() - 0.5) * 200, k = random.NextDouble() * 100;
            ema += (close - ema) * (2.0 / 51);
            candles.Add(new MLCandle
            {
                OpenTime = Start - Start % Hour + i * Hour,
                Open = open,
                High = Math.Max(open, close) * (1 + random.NextDouble() * 0.005),
                Low = Math.Min(open, close) * (1 - random.NextDouble() * 0.005),
                Close = close,
                Volume = 500 + random.NextDouble() * 1000,
                Rsi = 20 + random.NextDouble() * 60,
                Macd = macd,
                MacdSign = macd * 0.8,
                MacdHist = macd * 0.2,
                Ema = ema,
                StochSlowK = k,
                StochSlowD = Math.Min(100, Math.Max(0, k + (random.NextDouble() - 0.5) * 10)),
            });
        }
        // High below low, inside the last 50 candles (the client sends only the model's lookback): a 422 for it.
        if (broken) candles[n - 3].High = candles[n - 3].Low / 2;
        return candles;
    }

    static void Print(string tag, List<MLPrediction> predictions)
    {
        foreach (var p in predictions)
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "PRED {0} {1} {2} {3} {4:R} {5:R} {6} {7}", tag,
                p.Symbol, p.PredictedLabel, p.ModelVersion, p.Confidence, p.ExpectedReturn, p.TrendScore,
                p.Probabilities.Count));
        }
        Console.WriteLine("COUNT " + tag + " " + predictions.Count);
        // A bot looks a probability up by the label it was given, often lower-cased with the host's culture:
        // on tr-TR "SIDEWAYS".ToLower() is "sıdeways" (dotless ı), which an ordinal key "sideways" never matched.
        foreach (var p in predictions)
        {
            var labels = new[] { "DOWN", "SIDEWAYS", "UP" };
            double viaLower = 0, viaLabel = 0, viaInvariant = 0;
            double value;
            foreach (var label in labels)
            {
                if (p.Probabilities.TryGetValue(label.ToLower(), out value)) viaLower += value;
                if (p.Probabilities.TryGetValue(label, out value)) viaLabel += value;
                if (p.Probabilities.TryGetValue(label.ToLowerInvariant(), out value)) viaInvariant += value;
            }
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "PROBS {0} {1} {2:F6} {3:F6} {4:F6}", tag,
                p.Symbol, viaInvariant, viaLower, viaLabel));
        }
    }

    public static int Main(string[] args)
    {
        // The whole check runs as on a Turkish Windows host: a decimal comma (as de-DE has) and the dotted and
        // dotless i, so any culture-sensitive parsing, formatting or casing in the client shows here.
        var turkish = new CultureInfo("tr-TR");
        CultureInfo.DefaultThreadCurrentCulture = turkish;
        System.Threading.Thread.CurrentThread.CurrentCulture = turkish;
        Action<string> warn = m => Console.WriteLine("WARN " + m.Replace('\n', ' '));
        // Generous timeouts: the test machine may be loaded, and the first request also pays Mono's JIT.
        var options = new MLServiceOptions
        {
            ApiUrl = args[0],
            ApiKey = args[1],
            RetryDelay = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(60),
        };
        using (var service = new LSTMPredictionService(options, warn))
        {
            IMLService ml = service;
            Console.WriteLine("HEALTHY " + ml.IsHealthyAsync().Result);
            var many = new Dictionary<string, IList<MLCandle>>
            {
                { "BTCUSDT", Candles(60, 1) },
                { "ETHUSDT", Candles(60, 2) },
                { "BADUSDT", Candles(60, 3, broken: true) },
            };
            Print("batch", ml.MLPredList(many).Result);
            Print("single", ml.MLPredList(new Dictionary<string, IList<MLCandle>> { { "SOLUSDT", Candles(50, 4) } }).Result);
            Print("short", ml.MLPredList(new Dictionary<string, IList<MLCandle>> { { "ADAUSDT", Candles(10, 5) } }).Result);
            // A bot that keeps 500 candles a symbol: sent whole, 16 of them made a ~2.4 MB body and all 16 were
            // lost to a 413; only the model's lookback is sent now.
            var kept = new Dictionary<string, IList<MLCandle>>();
            for (int i = 0; i < 16; i++) kept.Add("K" + i + "USDT", Candles(500, 10 + i));
            Print("long", ml.MLPredList(kept).Result);
        }
        // Batches split by size as well as by count (here 2 symbols of 50 candles a body).
        var small = new MLServiceOptions
        {
            ApiUrl = args[0],
            ApiKey = args[1],
            MaxBodyBytes = 40000,
            RetryDelay = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(60),
        };
        using (var service = new LSTMPredictionService(small, warn))
        {
            var six = new Dictionary<string, IList<MLCandle>>();
            for (int i = 0; i < 6; i++) six.Add("Z" + i + "USDT", Candles(60, 40 + i));
            Print("sized", service.MLPredList(six).Result);
        }
        var wrongKey = new MLServiceOptions
        {
            ApiUrl = args[0],
            ApiKey = "wrong",
            RetryDelay = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(60),
        };
        using (var service = new LSTMPredictionService(wrongKey, warn))
        {
            Print("wrongkey", service.MLPredList(new Dictionary<string, IList<MLCandle>> { { "BTCUSDT", Candles(60, 1) } }).Result);
        }
        var down = new MLServiceOptions
        {
            ApiUrl = "http://127.0.0.1:1",
            MaxAttempts = 2,
            RetryDelay = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(2),
        };
        using (var service = new LSTMPredictionService(down, warn))
        {
            Console.WriteLine("DOWNHEALTHY " + service.IsHealthyAsync().Result);
            Print("down", service.MLPredList(new Dictionary<string, IList<MLCandle>> { { "BTCUSDT", Candles(60, 1) } }).Result);
        }
        // Settings: the environment wins over configuration.
        var fromConfig = MLServiceOptions.FromConfiguration(key => key == "MLService:ApiUrl" ? "http://config:1" : null);
        Console.WriteLine("CONFIGURL " + fromConfig.ApiUrl);
        Console.WriteLine("DONE");
        return 0;
    }
}
