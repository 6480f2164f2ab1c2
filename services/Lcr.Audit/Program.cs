using Lcr.Audit;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("audit");
builder.AddAuditServices();

var app = builder.Build();
app.MapAuditEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
