using Lcr.Clinical;
using Lcr.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("clinical");
builder.AddClinicalServices();

var app = builder.Build();
app.MapClinicalEndpoints();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
