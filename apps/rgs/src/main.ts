import { runMain } from '@rgb/kit';
import { loadRgsConfig, start } from './index';
import { rgsProcess } from './manifest';

runMain(rgsProcess.name, () => start(loadRgsConfig(process.env)));
