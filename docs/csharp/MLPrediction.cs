// The bot's view of one prediction and of one candle, as candlecast's /predict speaks them.
using System.Collections.Generic;

namespace Candlecast.Client
{
    public sealed class MLPrediction
    {
        public string Symbol { get; set; }
        /// <summary>"UP", "DOWN" or "SIDEWAYS": the class the served decision rule names.</summary>
        public string PredictedLabel { get; set; }
        /// <summary>Calibrated probability of PredictedLabel, 0–1.</summary>
        public double Confidence { get; set; }
        /// <summary>Expected return over the model's horizon as a fraction (0.012 = +1.2 %).</summary>
        public double ExpectedReturn { get; set; }
        /// <summary>−5 (strong down) … 5 (strong up).</summary>
        public int TrendScore { get; set; }
        /// <summary>
        /// "down", "sideways", "up" → probability; keys match in any case, so Probabilities[PredictedLabel] works,
        /// and so does PredictedLabel.ToLower() on a Turkish-culture host ("sıdeways").
        /// </summary>
        public IDictionary<string, double> Probabilities { get; set; }
        public string ModelVersion { get; set; }
    }

    /// <summary>One closed candle with the bot's indicators. OpenTime lets `candlecast monitor` join outcomes.</summary>
    public sealed class MLCandle
    {
        /// <summary>Open time in Unix milliseconds (UTC); sent as "openTime".</summary>
        public long OpenTime { get; set; }
        public double Open { get; set; }
        public double High { get; set; }
        public double Low { get; set; }
        public double Close { get; set; }
        public double Volume { get; set; }
        public double Rsi { get; set; }
        public double Macd { get; set; }
        public double MacdSign { get; set; }
        public double MacdHist { get; set; }
        public double Ema { get; set; }
        public double StochSlowK { get; set; }
        public double StochSlowD { get; set; }
    }
}
