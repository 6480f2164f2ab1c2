namespace Lcr.Gateway.Downstream;

/// <summary>The real socket transport: long-lived HTTP/2 connections, several per pod when streams run out.</summary>
internal sealed class SocketsHandlerFactory : IDownstreamHandlerFactory
{
    public HttpMessageHandler Create(string service) => new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };
}
