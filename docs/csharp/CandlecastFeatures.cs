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
        /// Features of the last <paramref name="lookback"/> candles (oldest first), row-major
        /// [lookback, 35]: the tensor ONNX input "input" expects for one window (shape [1, lookback, 35]).
        /// </summary>
        public static float[] Compute(Candle[] candles, int lookback)
        {
            if (candles.Length < lookback)
                throw new ArgumentException("need at least " + lookback + " candles, got " + candles.Length);
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
                for (int k = 0; k < Count; k++) output[j * Count + k] = (float)f[k];
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
