using Google.Rpc;
using Grpc.Core;
using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

public class ErrorMappingTests
{
    [Fact]
    public void Invalid_argument_carries_bad_request_with_every_field()
    {
        var e = new InvalidArgumentException([new FieldViolation("a.b", "is required"), new FieldViolation("c", "is too long")]);
        var status = e.ToStatus();
        Assert.Equal((int)StatusCode.InvalidArgument, status.Code);
        var bad = status.GetDetail<BadRequest>();
        Assert.Equal(["a.b", "c"], bad.FieldViolations.Select(f => f.Field));
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal(ErrorDomain.Name, info.Domain);
        Assert.Equal("INVALID_ARGUMENT", info.Reason);
    }

    [Fact]
    public void Not_found_names_the_kind_not_the_identifier()
    {
        var status = new NotFoundException("patient").ToStatus();
        Assert.Equal((int)StatusCode.NotFound, status.Code);
        Assert.Equal("PATIENT_NOT_FOUND", status.GetDetail<ErrorInfo>().Reason);
        Assert.Equal("No such patient.", status.Message);
    }
}

public class TransientFailureTests
{
    /// <summary>A real connection failure: nothing listens on a freshly freed loopback port.</summary>
    private static async Task<Npgsql.NpgsqlException> RefusedAsync()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var connection = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=x;Password=x;Timeout=2");
        return await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(() => connection.OpenAsync());
    }

    [Fact]
    public async Task A_refused_database_connection_is_transient_however_ef_core_wraps_it()
    {
        var refused = await RefusedAsync();
        Assert.True(ErrorMappingInterceptor.IsTransient(refused));

        // What the services saw when PostgreSQL restarted under load: the execution strategy's
        // retries exhausted (was answered INTERNAL; must be UNAVAILABLE, which callers retry).
        Assert.True(ErrorMappingInterceptor.IsTransient(
            new Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException("Maximum number of retries (3) exceeded.", refused)));
        Assert.True(ErrorMappingInterceptor.IsTransient(
            new Microsoft.EntityFrameworkCore.DbUpdateException("An error occurred while saving the entity changes.", refused)));
    }

    [Fact]
    public void A_programming_error_is_not_transient()
    {
        Assert.False(ErrorMappingInterceptor.IsTransient(new InvalidOperationException("Sequence contains no elements")));
        Assert.False(ErrorMappingInterceptor.IsTransient(new InvalidOperationException("wrapped", new ArgumentNullException("x"))));
    }
}
