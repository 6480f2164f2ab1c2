using Lcr.Demographics;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("demographics");
builder.AddDemographicsServices();

var app = builder.Build();
app.MapDemographicsEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
