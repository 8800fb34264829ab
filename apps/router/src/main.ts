import { runMain } from '@rgb/kit';
import { routerProcess } from './manifest';

runMain(routerProcess.name, () => routerProcess.start(process.env));
