using Lcr.Identity;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("identity");
builder.AddIdentityServices();

var app = builder.Build();
app.MapIdentityEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
