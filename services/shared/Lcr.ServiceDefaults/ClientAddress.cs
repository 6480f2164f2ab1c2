using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The network address a call came from, as the platform keys throttling on it. The gateway
/// is the edge: it takes the address from its own connection (<see cref="FromPeer"/>; never
/// from a header the caller sent) and passes it to identity in <see cref="Header"/>, next to
/// its signed internal credential. An internal service reads it with <see cref="Read"/>: with
/// internal credentials on, only an allowed caller (the gateway) reaches the handler at all,
/// so the header is the gateway's statement. IPv6 addresses are taken per /64, the block one
/// subscriber usually holds, so an attacker cannot mint a fresh source per attempt.
/// </summary>
public static class ClientAddress
{
    public const string Header = "x-lcr-client-address";

    /// <summary>The source of a call whose peer is unknown or unparsable.</summary>
    public const string Unknown = "unknown";

    /// <summary>The address of a gRPC peer string (<c>ipv4:10.0.0.5:51234</c>, <c>ipv6:[::1]:51234</c>), without the port.</summary>
    public static string FromPeer(string? peer)
    {
        if (string.IsNullOrEmpty(peer))
        {
            return Unknown;
        }

        var text = peer.StartsWith("ipv4:", StringComparison.Ordinal) || peer.StartsWith("ipv6:", StringComparison.Ordinal) ? peer[5..] : peer;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            text = close > 0 ? text[1..close] : text;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            text = text[..text.IndexOf(':', StringComparison.Ordinal)];
        }

        return Normalise(text) ?? Unknown;
    }

    /// <summary>The caller's address as the gateway stated it, or this call's own peer when no (valid) statement came.</summary>
    public static string Read(ServerCallContext context) =>
        Normalise(context.RequestHeaders.GetValue(Header)) ?? FromPeer(context.Peer);

    /// <summary>An address in canonical form (IPv6 as its /64), or null when <paramref name="text"/> is not one.</summary>
    public static string? Normalise(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return null;
        }

        if (text.EndsWith("/64", StringComparison.Ordinal))
        {
            text = text[..^3];
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes).ToString() + "/64";
    }
}
