// The 35 input features of candlecast (SPEC §5), for running model.onnx in-process with
// Microsoft.ML.OnnxRuntime. This mirrors features/engineer.ts operation for operation; candlecast's test suite
// compiles it and checks it against the TypeScript implementation on real candles (docs/csharp/features_parity_test.ts).
// Plain C# 7, no dependencies.
using System;

namespace Candlecast
{
    public struct Candle
    {
        public double Open, High, Low, Close, Volume;
        public double Rsi, Macd, MacdSign, MacdHist, Ema, StochSlowK, StochSlowD;
    }

    public static class CandlecastFeatures
    {
        public const int Count = 35;

        public static readonly string[] Names =
        {
            "open_rel", "high_rel", "low_rel", "ret", "volume_rel", "rsi", "macd_n", "macd_signal_n", "macd_hist_n",
            "ema_dist", "stoch_k", "stoch_d", "log_ret", "ret_3", "hl_ratio", "co_ratio", "volatility_5",
            "volatility_20", "ema_slope", "macd_accel", "macd_hist_slope", "rsi_momentum", "rsi_ma_5",
            "volume_log_change", "volume_ratio_5_20", "volume_z_20", "body", "upper_shadow", "lower_shadow",
            "position_20", "position_50", "momentum_5", "momentum_10", "momentum_20", "stoch_kd_diff",
        };

        /// <summary>
        /// The rules serve applies to a /predict body's candles (docs/api.md), so that the in-process path refuses
        /// what the HTTP path refuses rather than answering it: at least <paramref name="lookback"/> candles; every
        /// number finite; prices positive and at most 1e12, volume 0 to 1e18; high ≥ max(open, close) ≥
        /// min(open, close) ≥ low; RSI and the stochastics within 0–100 (±0.001); and in the last lookback candles
        /// an EMA above 0 (0 is the slot a TA library leaves before EMA(50)'s first value). Throws an
        /// ArgumentException naming the first offending candle and field as serve's 422 does
        /// ("candles[12].close: must be positive, got 0"). Compute calls it.
        /// </summary>
        public static void Validate(Candle[] candles, int lookback)
        {
            if (candles.Length < lookback)
                throw new ArgumentException("candles: expected at least " + lookback + " candles (the model's lookback), got " + candles.Length);
            for (int i = 0; i < candles.Length; i++)
            {
                Candle c = candles[i];
                string[] names = { "open", "high", "low", "close", "volume", "rsi", "macd", "macdSign", "macdHist", "ema", "stochSlowK", "stochSlowD" };
                double[] values = { c.Open, c.High, c.Low, c.Close, c.Volume, c.Rsi, c.Macd, c.MacdSign, c.MacdHist, c.Ema, c.StochSlowK, c.StochSlowD };
                for (int k = 0; k < names.Length; k++)
                    if (double.IsNaN(values[k]) || double.IsInfinity(values[k])) Refuse(i, names[k], "expected a finite number");
                for (int k = 0; k < 5; k++)
                {
                    double v = values[k];
                    if (k == 4 && v < 0) Refuse(i, names[k], "must not be negative, got " + Text(v));
                    if (k == 4 && v > 1e18) Refuse(i, names[k], "must be at most 1000000000000000000 (no market trades that much), got " + Text(v));
                    if (k < 4 && v <= 0) Refuse(i, names[k], "must be positive, got " + Text(v));
                    if (k < 4 && v > 1e12) Refuse(i, names[k], "must be at most 1000000000000 (no market quotes that price), got " + Text(v));
                }
                double top = Math.Max(c.Open, c.Close), bottom = Math.Min(c.Open, c.Close);
                if (c.High < c.Low) Refuse(i, "high", Text(c.High) + " is below low (" + Text(c.Low) + ")");
                if (c.High < top) Refuse(i, "high", Text(c.High) + " is below max(open, close) (" + Text(top) + ")");
                if (c.Low > bottom) Refuse(i, "low", Text(c.Low) + " is above min(open, close) (" + Text(bottom) + ")");
                foreach (int k in new[] { 5, 10, 11 })
                    if (values[k] < -1e-3 || values[k] > 100 + 1e-3) Refuse(i, names[k], "must be within 0–100, got " + Text(values[k]));
            }
            for (int i = candles.Length - lookback; i < candles.Length; i++)
                if (candles[i].Ema <= 0)
                    Refuse(i, "ema", "must be positive (an average of positive prices is), got " + Text(candles[i].Ema) +
                        "; 0 is what an indicator library leaves before EMA(50)'s first value: the last " + lookback +
                        " candles (the model's lookback) need EMA(50)'s history, " + (49 + lookback) + " candles of the symbol");
        }

        static void Refuse(int index, string field, string rule)
        {
            throw new ArgumentException("candles[" + index + "]." + field + ": " + rule);
        }

        static string Text(double v) { return v.ToString("R", System.Globalization.CultureInfo.InvariantCulture); }

        /// <summary>
        /// Features of the last <paramref name="lookback"/> candles (oldest first), row-major
        /// [lookback, 35]: the tensor ONNX input "input" expects for one window (shape [1, lookback, 35]).
        /// Throws an ArgumentException with serve's 422 detail for candles Validate refuses, and for a window one of
        /// whose features is not finite as a float (finite doubles past ±3.4e38 overflow: a MACD of 1e300, an EMA of
        /// 1e-300), which the graph would clip into an ordinary label: "candles[59]: its values make feature macd_n
        /// overflow (not finite in float32); check the candle's magnitudes", counting the candles passed, as serve
        /// counts a request's.
        /// </summary>
        public static float[] Compute(Candle[] candles, int lookback)
        {
            Validate(candles, lookback);
            int n = lookback, start = candles.Length - lookback;
            var w = new Candle[n];
            Array.Copy(candles, start, w, 0, n);

            var close = new double[n];
            var volume = new double[n];
            var rsi = new double[n];
            for (int j = 0; j < n; j++) { close[j] = w[j].Close; volume[j] = w[j].Volume; rsi[j] = w[j].Rsi; }
            var logRet = new double[n];
            for (int j = 0; j < n; j++)
            {
                double prev = close[Back(j, 1)];
                logRet[j] = close[j] > 0 && prev > 0 ? Math.Log(close[j] / prev) : 0;
            }
            var volSma5 = ExpandingMean(volume, 5);
            var volSma20 = ExpandingMean(volume, 20);
            var volStd20 = ExpandingStd(volume, 20, volSma20);
            var vol5 = ExpandingStd(logRet, 5, ExpandingMean(logRet, 5));
            var vol20 = ExpandingStd(logRet, 20, ExpandingMean(logRet, 20));
            var rsiSma5 = ExpandingMean(rsi, 5);
            var pos20 = Position(w, 20);
            var pos50 = Position(w, 50);

            var f = new double[Count];
            var output = new float[n * Count];
            for (int j = 0; j < n; j++)
            {
                Candle c = w[j], p1 = w[Back(j, 1)], p2 = w[Back(j, 2)];
                double range = c.High - c.Low;
                f[0] = Rel(c.Open, c.Close);
                f[1] = Rel(c.High, c.Close);
                f[2] = Rel(c.Low, c.Close);
                f[3] = Rel(c.Close, p1.Close);
                f[4] = Rel(c.Volume, volSma20[j]);
                f[5] = c.Rsi;
                f[6] = Div(c.Macd, c.Close);
                f[7] = Div(c.MacdSign, c.Close);
                f[8] = Div(c.MacdHist, c.Close);
                f[9] = Rel(c.Close, c.Ema);
                f[10] = c.StochSlowK;
                f[11] = c.StochSlowD;
                f[12] = logRet[j];
                f[13] = Rel(c.Close, w[Back(j, 3)].Close);
                f[14] = Rel(c.High, c.Low);
                f[15] = Rel(c.Close, c.Open);
                f[16] = vol5[j];
                f[17] = vol20[j];
                f[18] = Rel(c.Ema, p1.Ema);
                f[19] = Div(c.Macd - 2 * p1.Macd + p2.Macd, c.Close);
                f[20] = Div(c.MacdHist - p1.MacdHist, c.Close);
                f[21] = c.Rsi - p1.Rsi;
                f[22] = rsiSma5[j];
                f[23] = Math.Log((c.Volume + 1e-12) / (p1.Volume + 1e-12));
                f[24] = 1 + Rel(volSma5[j], volSma20[j]);
                f[25] = Div(c.Volume - volSma20[j], volStd20[j]);
                f[26] = Div(c.Close - c.Open, range);
                f[27] = Div(c.High - Math.Max(c.Open, c.Close), range);
                f[28] = Div(Math.Min(c.Open, c.Close) - c.Low, range);
                f[29] = pos20[j];
                f[30] = pos50[j];
                f[31] = Rel(c.Close, w[Back(j, 5)].Close);
                f[32] = Rel(c.Close, w[Back(j, 10)].Close);
                f[33] = Rel(c.Close, w[Back(j, 20)].Close);
                f[34] = c.StochSlowK - c.StochSlowD;
                for (int k = 0; k < Count; k++)
                {
                    float v = (float)f[k];
                    // server/predict.ts nonFiniteFeature: the first such value, candle by candle, feature by feature.
                    if (float.IsNaN(v) || float.IsInfinity(v))
                        throw new ArgumentException("candles[" + (start + j) + "]: its values make feature " + Names[k] +
                            " overflow (not finite in float32); check the candle's magnitudes");
                    output[j * Count + k] = v;
                }
            }
            return output;
        }

        // A lag before the window's first candle uses the first candle.
        static int Back(int j, int k) { return j >= k ? j - k : 0; }
        // a/b − 1, or 0 when b is 0; a/b, or 0 when b is 0.
        static double Rel(double a, double b) { return b != 0 ? a / b - 1 : 0; }
        static double Div(double a, double b) { return b != 0 ? a / b : 0; }

        static double[] ExpandingMean(double[] x, int n)
        {
            // Summed afresh per window, not as a running sum (which drifts to ±1e-13 once volume stops), and a
            // window of equal values has exactly that value as its mean, so its std is exactly 0 (SPEC §5).
            var output = new double[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                int from = j >= n - 1 ? j - n + 1 : 0;
                double sum = 0;
                bool equal = true;
                for (int i = from; i <= j; i++)
                {
                    sum += x[i];
                    equal = equal && x[i] == x[j];
                }
                output[j] = equal ? x[j] : sum / (j - from + 1);
            }
            return output;
        }

        // Sample standard deviation (n−1) over the last n values; 0 with fewer than 2.
        static double[] ExpandingStd(double[] x, int n, double[] mean)
        {
            var output = new double[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                int from = j >= n - 1 ? j - n + 1 : 0, count = j - from + 1;
                if (count < 2) { output[j] = 0; continue; }
                double m = mean[j], ss = 0;
                for (int i = from; i <= j; i++) ss += (x[i] - m) * (x[i] - m);
                output[j] = Math.Sqrt(ss / (count - 1));
            }
            return output;
        }

        // (close − lowest low) / (highest high − lowest low) over the last n candles; 0.5 for a zero range.
        static double[] Position(Candle[] w, int n)
        {
            var output = new double[w.Length];
            for (int j = 0; j < w.Length; j++)
            {
                double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
                for (int i = Math.Max(0, j - n + 1); i <= j; i++)
                {
                    if (w[i].Low < lo) lo = w[i].Low;
                    if (w[i].High > hi) hi = w[i].High;
                }
                output[j] = hi - lo != 0 ? (w[j].Close - lo) / (hi - lo) : 0.5;
            }
            return output;
        }
    }
}
