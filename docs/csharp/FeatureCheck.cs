// Test harness (not for the bot): reads candles as CSV lines on stdin
// (open,high,low,close,volume,rsi,macd,macdSign,macdHist,ema,stochSlowK,stochSlowD), prints the features of the
// last LOOKBACK candles one row per line, values in round-trip form.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace Candlecast
{
    public static class FeatureCheck
    {
        public static void Main(string[] args)
        {
            int lookback = int.Parse(args[0], CultureInfo.InvariantCulture);
            var candles = new List<Candle>();
            string line;
            while ((line = Console.ReadLine()) != null)
            {
                if (line.Trim().Length == 0) continue;
                var v = Array.ConvertAll(line.Split(','), s => double.Parse(s, CultureInfo.InvariantCulture));
                candles.Add(new Candle
                {
                    Open = v[0], High = v[1], Low = v[2], Close = v[3], Volume = v[4], Rsi = v[5], Macd = v[6],
                    MacdSign = v[7], MacdHist = v[8], Ema = v[9], StochSlowK = v[10], StochSlowD = v[11],
                });
            }
            float[] f;
            try
            {
                f = CandlecastFeatures.Compute(candles.ToArray(), lookback);
            }
            catch (ArgumentException e)
            {
                // What the bot's catch would see: printed so the test can compare it with serve's 422 detail.
                Console.WriteLine("refused: " + e.Message);
                return;
            }
            for (int j = 0; j < lookback; j++)
            {
                var row = new string[CandlecastFeatures.Count];
                for (int k = 0; k < row.Length; k++) row[k] = f[j * CandlecastFeatures.Count + k].ToString("R", CultureInfo.InvariantCulture);
                Console.WriteLine(string.Join(",", row));
            }
        }
    }
}
