(function () {
  var launch = new URLSearchParams(location.hash.slice(1));
  var data = launch.get("tgWebAppData") || new URLSearchParams(location.search).get("tgWebAppData");
  var form = document.getElementById("enter");
  if (!data || !form) {
    document.getElementById("outside").hidden = false;
    document.getElementById("loading").hidden = true;
    return;
  }
  form.elements.namedItem("init_data").value = data;
  form.submit();
})();
