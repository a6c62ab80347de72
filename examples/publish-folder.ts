// The smallest program that publishes a folder: the same dataset as
// `SOM_SECRET=... som upload studies/ --collection IRB41449` run in the same directory.
import { openClient, publish } from '@som/publish';
const client = await openClient(); // som.config.json / SOM_* of the working directory, else ./som-data
const summary = await publish(['studies/'], {
  client,
  collection: 'IRB41449',
  secret: process.env.SOM_SECRET,
});
console.log(summary.written, summary.unchanged, summary.failed); // counts of files
await client.close();
