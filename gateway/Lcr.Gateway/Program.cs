using Lcr.Gateway;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("gateway", publicFacing: true);
builder.AddGatewayServices();

var app = builder.Build();
app.MapGatewayEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
