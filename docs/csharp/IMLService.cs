// What the trading bot asks of its ML backend. LSTMPredictionService implements it over candlecast's HTTP API,
// so `services.AddSingleton<IMLService, LSTMPredictionService>()` compiles and swaps the old Python service out.
// Plain C# 7 (Mono's mcs and .NET 8 both compile it); candlecast's tests run it against a real server.
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Candlecast.Client
{
    public interface IMLService
    {
        /// <summary>
        /// One prediction per symbol from its candles (at least the model's lookback, 50, oldest first). Symbols
        /// whose request fails (invalid candles, server down) are logged and left out: never an exception.
        /// </summary>
        Task<List<MLPrediction>> MLPredList(
            IDictionary<string, IList<MLCandle>> candlesBySymbol,
            CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>True when the server answers GET /health with a model loaded.</summary>
        Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default(CancellationToken));
    }
}
