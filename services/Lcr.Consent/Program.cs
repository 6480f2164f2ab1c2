using Lcr.Consent;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("consent");
builder.AddConsentServices();

var app = builder.Build();
app.MapConsentEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
