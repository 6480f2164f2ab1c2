namespace Lcr.Gateway.Downstream;

/// <summary>Creates the primary HTTP handler under each downstream client (tests substitute in-memory servers).</summary>
public interface IDownstreamHandlerFactory
{
    HttpMessageHandler Create(string service);
}
