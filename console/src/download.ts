/** Hands text to the browser as a downloaded file (a Blob), named `name`. */
export const saveFile = (text: string, name: string, type: string): void => {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has started the download once the click returns; the URL may go a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
