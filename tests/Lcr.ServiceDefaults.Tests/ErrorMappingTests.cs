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
